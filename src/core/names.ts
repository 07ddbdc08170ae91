// What a user or group name may look like, in the config and in the revocation file alike.
// POSIX-ish names, plus `@` for SSSD/AD fully-qualified names (alice@example.com) and a trailing `$`
// for machine accounts. No spaces, colons or leading `-`: those are never names, always typos or junk.
export const NAME_RE = /^[A-Za-z0-9_.][A-Za-z0-9_.@-]*\$?$/;
export const NAME_MAX = 256;

export function isValidName(name: string): boolean {
  return name.length <= NAME_MAX && NAME_RE.test(name);
}
