import { freePort, portPicker } from '../../../infra/local/ports';

describe('the local servers’ ports (infra/local/ports.ts)', () => {
  it('never hands out a port twice, though the kernel offers one again', async () => {
    const offers = [40001, 40001, 40002, 40001, 40003];
    const pick = portPicker(() => Promise.resolve(offers.shift()!));
    expect([await pick(), await pick(), await pick()]).toEqual([40001, 40002, 40003]);
  });

  it('says so when the kernel keeps offering ports already given out', async () => {
    const pick = portPicker(() => Promise.resolve(40001));
    await pick();
    await expect(pick()).rejects.toThrow('the kernel offered only ports this process was given before');
  });

  it('gives ports the kernel lets this process listen on', async () => {
    const ports = await Promise.all(Array.from({ length: 5 }, () => freePort()));
    expect(new Set(ports).size).toBe(5);
    for (const port of ports) expect(port).toBeGreaterThan(1023);
  });
});
