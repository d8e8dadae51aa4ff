export default async function globalTeardown() {
  await globalThis.pitcrewServers?.stop();
}
