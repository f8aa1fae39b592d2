/**
 * `npm run sbom` writes a CycloneDX SBOM of what the service ships: it runs, the file parses as
 * CycloneDX 1.6 naming descent as the application, and its components are exactly the installed
 * production tree — every runtime package (direct or transitive, matched by its node_modules path,
 * name and version, with its licence) and no dev dependency. The production tree is walked from
 * package-lock.json by test/helpers/production-tree.ts, independently of the SBOM tool.
 * The Docker image runs the same script (Dockerfile, build stage); docker is not available here,
 * so test/unit/docker-pins.test.ts checks that wiring statically.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionTree, readLockfile } from '../helpers/production-tree.js';

const repo = resolve(import.meta.dirname, '../..');

interface Component {
  name: string;
  group?: string;
  version: string;
  'bom-ref': string;
  purl?: string;
  licenses?: Array<{ license?: { id?: string; name?: string }; expression?: string }>;
  properties?: Array<{ name: string; value: string }>;
  components?: Component[];
}
interface Bom {
  bomFormat: string;
  specVersion: string;
  metadata: { component: Component & { type: string } };
  components: Component[];
  dependencies: Array<{ ref: string; dependsOn?: string[] }>;
}

let dir: string;
let bom: Bom;
let run: ReturnType<typeof spawnSync>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'descent-sbom-'));
  // The script as a user runs it; --output-file again overrides where it writes (commander keeps the last).
  run = spawnSync('npm', ['run', '--silent', 'sbom', '--', '--output-file', join(dir, 'sbom.cdx.json')], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 50_000,
  });
  if (run.status === 0) bom = JSON.parse(readFileSync(join(dir, 'sbom.cdx.json'), 'utf8')) as Bom;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every component, nested ones included (the tool nests a package under the one whose node_modules holds it). */
function flatten(cs: Component[] | undefined, out: Component[] = []): Component[] {
  for (const c of cs ?? []) {
    out.push(c);
    flatten(c.components, out);
  }
  return out;
}
const fullName = (c: Component): string => (c.group ? `${c.group}/${c.name}` : c.name);
const pathOf = (c: Component): string | undefined =>
  c.properties?.find((p) => p.name === 'cdx:npm:package:path')?.value;
const licenceOf = (c: Component): string | undefined =>
  c.licenses?.[0]?.license?.id ?? c.licenses?.[0]?.license?.name ?? c.licenses?.[0]?.expression;

describe('npm run sbom', () => {
  it('writes a CycloneDX 1.6 document for the descent application', () => {
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
    };
    expect(bom.bomFormat).toBe('CycloneDX');
    expect(bom.specVersion).toBe('1.6');
    expect(bom.metadata.component).toMatchObject({
      type: 'application',
      name: pkg.name,
      version: pkg.version,
    });
  });

  it('lists every installed runtime package, direct and transitive, with its version and licence', () => {
    const components = flatten(bom.components);
    const byPath = new Map(components.map((c) => [pathOf(c), c]));
    const tree = [...productionTree(readLockfile(repo)).values()];
    // Optional platform packages for other systems (esbuild's, msgpackr-extract's) are locked but not installed.
    const installed = tree.filter((p) => existsSync(join(repo, p.path, 'package.json')));
    expect(installed.length).toBeGreaterThan(50);
    const missing = installed
      .filter((p) => {
        const c = byPath.get(p.path);
        return !c || fullName(c) !== p.name || c.version !== p.version;
      })
      .map((p) => `${p.name}@${p.version} (${p.path})`);
    expect(missing, 'runtime packages absent from the SBOM').toEqual([]);
    for (const p of installed) {
      const c = byPath.get(p.path)!;
      expect(c.purl).toBe(`pkg:npm/${p.name.replace('@', '%40')}@${p.version}`);
      if (p.license) expect(licenceOf(c), `${p.name}'s licence`).toBe(p.license);
    }
  });

  it('names each direct dependency of package.json at its pinned version, as a dependency of descent', () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const top = new Map(bom.components.map((c) => [fullName(c), c]));
    const rootDeps = new Set(
      bom.dependencies.find((d) => d.ref === bom.metadata.component['bom-ref'])?.dependsOn,
    );
    for (const [name, version] of Object.entries(pkg.dependencies)) {
      expect(top.get(name)?.version, name).toBe(version);
      expect(rootDeps, name).toContain(top.get(name)!['bom-ref']);
    }
  });

  it('holds no dev dependency: nothing outside the production tree', () => {
    const tree = productionTree(readLockfile(repo));
    const extra = flatten(bom.components)
      .filter((c) => !tree.has(pathOf(c) ?? ''))
      .map((c) => `${fullName(c)}@${c.version} (${pathOf(c)})`);
    expect(extra).toEqual([]);
    const names = new Set(flatten(bom.components).map(fullName));
    for (const dev of ['vitest', 'typescript', 'eslint', '@cyclonedx/cyclonedx-npm'])
      expect(names).not.toContain(dev);
  });
});
