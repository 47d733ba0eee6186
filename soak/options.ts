/** What one soak run does. Every duration is scaled down so that hours of Genesys lifetimes pass in minutes. */
export interface SoakOptions {
  /** How long faults are injected and events published. @default 300000 */
  durationMs: number;
  /** Events published per second, spread at random over the topics. @default 500 */
  ratePerSecond: number;
  /** Seed of every random choice (topics, faults, intervals); printed and reported so a run can be repeated. */
  seed: number;
  /** Directory for the SQLite outbox (and nothing else); removed afterwards. */
  stateDir: string;
  /** Users watched (presence + routingStatus each) and queues watched (conversations). @default 40, 20 */
  users: number;
  queues: number;
  /** Topics per channel, small so that the topics are spread over several shards. @default 40 */
  maxTopicsPerChannel: number;
  /** Mean time between faults (exponentially distributed, at least `minFaultIntervalMs`). @default 4000 */
  meanFaultIntervalMs: number;
  minFaultIntervalMs: number;
  /**
   * Inject every fault variant first, in a seeded shuffle, and extend a run that is too short to finish that round
   * (by at most a minute). @default true
   */
  coverAllKinds: boolean;
  /** Mean time between sink outages (0.5-2 s each, the sink answers "retry later"); 0 turns them off. @default 20000 */
  meanSinkOutageIntervalMs: number;
  /** Emulator: heartbeat interval. Genesys: 30 s. @default 100 */
  heartbeatMs: number;
  /** Emulator: delay between the socket_closing warning and the close. Genesys: 60 s. @default 1500 */
  socketClosingLeadMs: number;
  /** Emulator: channel lifetime, extended by each subscribe. Genesys: 24 h. @default 4000 */
  channelTtlMs: number;
  /**
   * Emulator: token lifetime. Genesys: 24 h. Channels end with their token, and the client rolls each over at
   * min(5 min, half the token's remaining life) before expiry, one at a time; a rollover takes 0.2-0.8 s under soak
   * load, so 6 s (3 s lead) lets three shards roll over in turn, as the real 5 min lead does. @default 6
   */
  tokenTtlS: number;
  /** Mean time between storage faults (disk full, held write lock), alternating; 0 turns them off. @default 30000 */
  meanStorageFaultIntervalMs: number;
  /** How long the disk stays full / another process holds the write lock. @default 3000 */
  storageFaultHoldMs: number;
  /** Size of the tmpfs the outbox lives on (root only; 0 = plain dir, no disk-full windows). @default 256 */
  tmpfsMb: number;
  /** After the load stops, how long to wait for the pipeline to deliver what it received. @default 15000 */
  drainTimeoutMs: number;
  /**
   * A loss counts as in flight at a socket death when it was published at most this long before a gap began
   * (frames written to a socket that then died). @default 250
   */
  inFlightToleranceMs: number;
  /** Optional ndjson file of every delivered event (large: one line per event). */
  ndjsonPath: string | undefined;
  /** Progress lines (one per fault and a few per minute). @default a no-op */
  log: (line: string) => void;
}

export function soakDefaults(stateDir: string): SoakOptions {
  return {
    durationMs: 300_000,
    ratePerSecond: 500,
    seed: 1,
    stateDir,
    users: 40,
    queues: 20,
    maxTopicsPerChannel: 40,
    meanFaultIntervalMs: 4_000,
    minFaultIntervalMs: 500,
    coverAllKinds: true,
    meanSinkOutageIntervalMs: 20_000,
    heartbeatMs: 100,
    socketClosingLeadMs: 1_500,
    channelTtlMs: 4_000,
    tokenTtlS: 6,
    meanStorageFaultIntervalMs: 30_000,
    storageFaultHoldMs: 3_000,
    tmpfsMb: 256,
    drainTimeoutMs: 15_000,
    inFlightToleranceMs: 250,
    ndjsonPath: undefined,
    log: () => {},
  };
}
