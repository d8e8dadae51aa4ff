/**
 * JVM options for the local Java servers (DynamoDB Local, ElasticMQ): the serial collector and the
 * client compiler only (C1, no C2).
 *
 * Why: on a 2-core machine the servers share the cores with the functions under test, and the JVM's
 * defaults (G1's concurrent threads, C2 compiling hot code for minutes) spent more CPU than the
 * requests themselves, idle or not: the emulators' CPU then slowed Pitcrew, the tests and the bench
 * in proportion to their calls, where on AWS that work happens on the service's machines. Measured on
 * this 2-core machine, 2026-12-03 (after a warm-up, the same workload each way):
 * - DynamoDB Local, a conditional PutItem, a GetItem and a three-item transaction in turn: 12.9 and
 *   10.7 ms of its CPU for the three by default, 5.0 and 4.7 ms with these options; idle 32 to 48 ms
 *   of CPU a second, 0 to 4; 16 clients at once, 168 and 171 against 224 and 242 rounds a second;
 *   the transaction's p50 alone unchanged (3.8 to 4.2 ms either way).
 * - ElasticMQ, send, receive and delete: 8.2 and 8.1 ms of its CPU a message by default, 3.1 with
 *   these; 8 clients at once, 165 and 176 against 288 and 296 messages a second; idle under five
 *   waiting long polls, 52 to 60 ms of CPU a second against 26 to 32.
 */
export const localJavaServerOptions: readonly string[] = ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];
