/**
 * JVM options for the local Java servers (DynamoDB Local, ElasticMQ): the serial collector and the
 * client compiler only (C1, no C2).
 *
 * Why: the servers share the machine's cores with the functions under test (two on this project's
 * machines), and a test or a bench measure lives for seconds to minutes. With
 * the JVM's defaults the servers spend that time compiling their hot code with C2 and running G1's
 * threads, two to three times the CPU their requests need, and that CPU slows the functions, more so
 * the side that makes more calls; on AWS the services' work is on their own machines. C1's code is
 * slower than C2's once C2 has finished, so a run of many minutes gains less, and a `pitcrew dev`
 * session left running for hours pays for the quieter cores with slower requests (DynamoDB Local,
 * after 5,000 warm-up rounds: 7.7 to 8.0 ms a round against 4.6 to 5.3 with the defaults); the
 * bench and the storms were measured both ways (docs/performance.md, docs/reliability.md).
 */
export const localJavaServerOptions: readonly string[] = ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];
