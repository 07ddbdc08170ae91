// The fleet commands, loaded by program.ts only when one runs: they bring the etcd3 client with them
// (≈ 22 MiB of RSS that the daemon, `run`, must not carry: docs/architecture.md, "Memory").
export { fleetStatus, runFleet } from './fleet.js';
export { loadFleetOrExit } from './fleet-config.js';
export { fleetRevocations, fleetRevoke, fleetUnrevoke } from './fleet-revoke.js';
export { fleetSessions, fleetTerminate } from './fleet-sessions.js';
