// Which limits apply to a session: the first rule that matches, over the defaults.
import type { Limits, Policy, Rule, Session } from './types.js';

export type RuleMatch =
  | { kind: 'matched'; rule: Rule; limits: Limits; via: 'user' | 'group'; name: string }
  | { kind: 'defaults'; limits: Limits }
  /** A rule might match but the user's or group names are unknown (NSS failed): no limit may be applied. */
  | { kind: 'unresolved'; rule: Rule };

/**
 * First match wins. A rule matches if the user is listed OR one of the session's groups is listed.
 * When the names needed to decide a rule are unknown, we stop there rather than fall through to a later
 * rule or the defaults: falling through could apply a stricter limit than the rule meant to (e.g. end an
 * exempt breakglass user's session because LDAP was slow).
 */
export function matchRule(
  session: Pick<Session, 'user' | 'groups'>,
  policy: Pick<Policy, 'rules' | 'defaults'>,
): RuleMatch {
  for (const rule of policy.rules) {
    if (rule.users.length > 0) {
      if (session.user === null) return { kind: 'unresolved', rule };
      if (rule.users.includes(session.user)) {
        return {
          kind: 'matched',
          rule,
          limits: { ...policy.defaults, ...rule.overrides },
          via: 'user',
          name: session.user,
        };
      }
    }
    if (rule.groups.length > 0) {
      if (session.groups === null) return { kind: 'unresolved', rule };
      const hit = rule.groups.find((g) => session.groups!.includes(g));
      if (hit !== undefined) {
        return { kind: 'matched', rule, limits: { ...policy.defaults, ...rule.overrides }, via: 'group', name: hit };
      }
    }
  }
  return { kind: 'defaults', limits: policy.defaults };
}
