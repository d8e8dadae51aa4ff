import { makesNoAgents } from '../../../shared/sources/bundle';
import { CiError } from '../../../shared/sources/errors';

describe("makesNoAgents, the reaper bundle adapters' createAgentCredentials", () => {
  it('refuses, not to be retried, and says why', async () => {
    const refusal = makesNoAgents();
    await expect(refusal).rejects.toBeInstanceOf(CiError);
    await expect(refusal).rejects.toMatchObject({
      retryable: false,
      message: expect.stringContaining('the reap function makes no agents') as unknown,
    });
  });
});
