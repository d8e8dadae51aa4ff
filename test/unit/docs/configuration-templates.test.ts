import { readFileSync } from 'node:fs';
import { templateSchema } from '../../../shared/config/file-schema';
import { ciModules } from '../../../shared/sources/registry';

/**
 * docs/configuration.md's `templates` table is "every setting, with defaults" (README): it lists
 * every key a template takes, and the image and command each CI's template gets when it names
 * none (shared/sources/<ci>/module.ts `podDefaults`).
 */
const doc = readFileSync('docs/configuration.md', 'utf8');
const table = doc.slice(doc.indexOf('### `templates`'), doc.indexOf('### What every agent pod gets'));
const row = (key: string): string => table.split('\n').find((line) => line.startsWith(`| \`${key}\``)) ?? '';

describe("docs/configuration.md's templates table", () => {
  it('names every template key', () => {
    const keys = Object.keys(
      (templateSchema as unknown as { _zod: { def: { shape: object } } })._zod.def.shape,
    );
    expect(keys.filter((key) => !table.includes(`\`${key}\``) && !table.includes(`\`${key}.`))).toEqual([]);
  });

  it("gives each CI's default image", () => {
    const images = row('image');
    const missing = ciModules
      .filter((module) => module.podDefaults.image !== undefined)
      .filter((module) => !images.includes(module.podDefaults.image!))
      .map((module) => `${module.name}: ${module.podDefaults.image}`);
    expect(missing).toEqual([]);
  });

  it("gives each CI's default command (it says: else the image's)", () => {
    const commands = row('command');
    const missing = ciModules
      .filter((module) => module.podDefaults.command !== undefined)
      .filter((module) => !commands.includes(module.podDefaults.command![0]!))
      .map((module) => `${module.name}: ${module.podDefaults.command!.join(' ')}`);
    expect(missing).toEqual([]);
  });
});
