// Which limits apply to a session: the first rule that matches, over the defaults. Every caller that
// needs "the limits of this session" (decide, sweeps, the daemon, `sessions`, `terminate`) asks here.
import type { Limits, Policy, Rule, Session } from './types.js';

export type RuleMatch =
  | { kind: 'matched'; rule: Rule; limits: Limits; via: 'user' | 'group'; name: string }
  | { kind: 'defaults'; rule: null; limits: Limits }
  /**
   * A rule might match but the user's or group names are unknown (NSS failed): no limit may be applied.
   * `limits` are the defaults, for the mechanics only (grace, count_output of a revoked session's end).
   */
  | { kind: 'unresolved'; rule: Rule; limits: Limits };

/**
 * First match wins. A rule matches if the user is listed OR one of the session's groups is listed.
 * When the names needed to decide a rule are unknown, we stop there rather than fall through to a later
 * rule or the defaults: falling through could apply a stricter limit than the rule meant to (e.g. end an
 * exempt breakglass user's session because LDAP was slow).
 */
export function limitsFor(
  session: Pick<Session, 'user' | 'groups'>,
  policy: Pick<Policy, 'rules' | 'defaults'>,
): RuleMatch {
  const matched = (rule: Rule, via: 'user' | 'group', name: string): RuleMatch => ({
    kind: 'matched',
    rule,
    limits: { ...policy.defaults, ...rule.overrides },
    via,
    name,
  });
  for (const rule of policy.rules) {
    if (rule.users.length > 0) {
      if (session.user === null) return { kind: 'unresolved', rule, limits: policy.defaults };
      if (rule.users.includes(session.user)) return matched(rule, 'user', session.user);
    }
    if (rule.groups.length > 0) {
      const groups = session.groups;
      if (groups === null) return { kind: 'unresolved', rule, limits: policy.defaults };
      const hit = rule.groups.find((g) => groups.includes(g));
      if (hit !== undefined) return matched(rule, 'group', hit);
    }
  }
  return { kind: 'defaults', rule: null, limits: policy.defaults };
}

/** The rule index to report with a verdict (null under the defaults). */
export function ruleIndex(match: RuleMatch): number | null {
  return match.rule === null ? null : match.rule.index;
}
