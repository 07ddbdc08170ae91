// Who and where: the host's name (the fleet's default `host`) and the person running an admin command.
import os from 'node:os';

export function hostName(): string {
  return os.hostname();
}

/** The invoking user, as recorded in `by`: the sudo caller when run through sudo. */
export function invokingUser(): string {
  const self = os.userInfo().username;
  const sudo = process.env.SUDO_USER;
  return sudo && sudo !== self ? `${sudo} (sudo ${self})` : self;
}
