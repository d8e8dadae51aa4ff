import { existsSync, readFileSync } from 'node:fs';
import packageJson from '../../../package.json' with { type: 'json' };
import { usage } from '../../../infra/local/cli/usage';

const doc = readFileSync('docs/deploy.md', 'utf8');

/** Every command of the guide's `sh` blocks, continuation lines joined, comments dropped. */
const commands = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)]
  .flatMap((block) => block[1]!.replace(/\\\n\s*/g, ' ').split('\n'))
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

/** The program a command runs, after any `NAME=value` environment prefixes. */
const programOf = (command: string): string[] =>
  command.split(/\s+/).filter((word) => !/^[A-Z_]+=/.test(word));

describe('docs/deploy.md', () => {
  it('has commands to check', () => {
    expect(commands.length).toBeGreaterThan(20);
  });

  it('uses only aws, kubectl, and what this project ships (plus cp, git and export)', () => {
    const programs = new Set(commands.map((command) => programOf(command)[0]));
    expect(
      [...programs].filter(
        (program) => !['aws', 'kubectl', 'npm', 'npx', 'cp', 'git', 'export'].includes(program!),
      ),
    ).toEqual([]);
  });

  it('runs only npm scripts that exist, and only the pitcrew and serverless commands there are', () => {
    for (const command of commands) {
      const [program, first, second] = programOf(command);
      if (program === 'npm' && first === 'run') expect(Object.keys(packageJson.scripts)).toContain(second);
      if (program === 'npm' && first !== 'run') expect(['ci']).toContain(first);
      if (program === 'npx') {
        expect(['pitcrew', 'serverless']).toContain(first);
        if (first === 'pitcrew') expect(usage).toMatch(new RegExp(`^  ${second}\\b`, 'm'));
        if (first === 'serverless') expect(['deploy', 'remove', 'logs', 'package', 'info']).toContain(second);
      }
    }
  });

  it('applies and deletes only manifests the project has', () => {
    const paths = commands
      .filter((command) => command.startsWith('kubectl '))
      .flatMap((command) => [...command.matchAll(/ -f (\S+)/g)].map((match) => match[1]!));
    expect(paths.length).toBeGreaterThan(0);
    for (const path of paths) expect({ path, exists: existsSync(path) }).toEqual({ path, exists: true });
  });

  it('creates every SSM parameter and secret the example config names, for the stage it deploys', () => {
    const config = readFileSync('infra/pitcrew.example.yaml', 'utf8');
    const names = [...config.matchAll(/\{ (?:ssm|secretsManager): '([^']+)'/g)].map((match) =>
      match[1]!.replace('{stage}', 'prod'),
    );
    expect(names.length).toBeGreaterThan(0);
    for (const name of names)
      expect({
        name,
        created: commands.some(
          (command) =>
            / (put-parameter|create-secret) --name /.test(command) && command.includes(`--name ${name} `),
        ),
      }).toEqual({ name, created: true });
  });
});
