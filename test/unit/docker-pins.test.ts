/**
 * The images Descent is built on and runs beside are pinned by digest: every FROM of the
 * Dockerfile (after its global ARG defaults are substituted) and every image docker-compose.yml
 * pulls (rather than builds) carries `name:tag@sha256:<64 hex>` — the tag for the reader, the
 * digest for the registry. And the image carries its SBOM: the build stage runs `npm run sbom`
 * and the runtime stage copies the file to /app/sbom.cdx.json. There is no Docker engine here, so
 * these are checks of the files, not of a built image.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const read = (f: string): string => readFileSync(join(repo, f), 'utf8');

/** `name:tag@sha256:digest`, with an optional registry/namespace path. */
const PINNED = /^[a-z0-9][a-z0-9._\-/:]*:[\w][\w.-]*@sha256:[0-9a-f]{64}$/;

/**
 * Each FROM of a Dockerfile as the builder resolves it with no --build-arg: `${X}` / `$X` replaced
 * by the default of the ARG declared before the first FROM. References to an earlier stage
 * (`FROM deps AS x`) are left out: they are pinned by what that stage is built from.
 */
function fromImages(dockerfile: string): string[] {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim());
  const args: Record<string, string> = {};
  const stages = new Set<string>();
  const images: string[] = [];
  let seenFrom = false;
  for (const line of lines) {
    const arg = /^ARG\s+([A-Za-z_]\w*)(?:=(.*))?$/i.exec(line);
    if (arg && !seenFrom) args[arg[1]!] = (arg[2] ?? '').replace(/^"(.*)"$/, '$1');
    const from = /^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (!from) continue;
    seenFrom = true;
    const image = from[1]!.replace(
      /\$\{(\w+)\}|\$(\w+)/g,
      (_, a?: string, b?: string) => args[a ?? b!] ?? '',
    );
    if (!stages.has(image)) images.push(image);
    if (from[2]) stages.add(from[2]);
  }
  return images;
}

/** The `image:` of each docker-compose service that has no `build:` (those are pulled, not built here). */
function pulledComposeImages(compose: string): Record<string, string> {
  const out: Record<string, string> = {};
  const services = compose.split(/^services:\s*$/m)[1]?.split(/^\S/m)[0] ?? '';
  for (const block of services.split(/^ {2}(?=[\w-]+:\s*$)/m).slice(1)) {
    const name = block.slice(0, block.indexOf(':'));
    const image = /^ {4}image:\s*['"]?([^'"\s#]+)/m.exec(block)?.[1];
    if (image && !/^ {4}build:/m.test(block)) out[name] = image;
  }
  return out;
}

describe('base images pinned by digest', () => {
  it('every FROM of the Dockerfile names a tag and a sha256 digest', () => {
    const images = fromImages(read('Dockerfile'));
    expect(images.length).toBeGreaterThanOrEqual(3); // deps, build, runtime
    for (const image of images) expect(image, 'Dockerfile FROM').toMatch(PINNED);
    // one base for all stages: the native addon built in one stage runs on the same libc in another
    expect(new Set(images).size).toBe(1);
  });

  it('every image docker-compose.yml pulls is pinned; the services it builds use the Dockerfile', () => {
    const compose = read('docker-compose.yml');
    const pulled = pulledComposeImages(compose);
    expect(Object.keys(pulled)).toContain('redis');
    for (const [service, image] of Object.entries(pulled))
      expect(image, `docker-compose ${service}`).toMatch(PINNED);
    expect(compose).toMatch(/^ {2}api:[\s\S]*?^ {4}build: \.$/m);
  });

  it('the checks catch an unpinned or a tag-only reference', () => {
    expect(fromImages('FROM node:20-bookworm-slim AS a\nFROM a AS b\n')).toEqual(['node:20-bookworm-slim']);
    expect('node:20-bookworm-slim').not.toMatch(PINNED);
    expect(`node@sha256:${'a'.repeat(64)}`).not.toMatch(PINNED); // digest without the tag a reader needs
    expect(fromImages(`ARG IMG=node:20@sha256:${'b'.repeat(64)}\nFROM \${IMG}\n`)).toEqual([
      `node:20@sha256:${'b'.repeat(64)}`,
    ]);
    expect(fromImages('FROM --platform=$BUILDPLATFORM $IMG\n')).toEqual(['']); // an ARG with no default
    expect(
      pulledComposeImages('services:\n  db:\n    image: postgres:16\n  app:\n    build: .\n    image: x\n'),
    ).toEqual({ db: 'postgres:16' });
  });
});

describe('the SBOM in the image', () => {
  it('the build stage runs npm run sbom and the runtime stage copies it to /app/sbom.cdx.json', () => {
    const dockerfile = read('Dockerfile').replace(/\\\n/g, ' ');
    const stages = dockerfile.split(/^FROM /m).slice(1);
    const build = stages.find((s) => /^\S+\s+AS\s+build\b/i.test(s));
    const runtime = stages.at(-1)!;
    expect(build).toMatch(/^RUN npm ci (?!.*--omit=dev)/m); // the SBOM tool is a dev dependency
    expect(build).toMatch(/^RUN npm run sbom$/m);
    expect(runtime).toMatch(/^WORKDIR \/app$/m);
    expect(runtime).toMatch(/^COPY --from=build \S* ?\/app\/sbom\.cdx\.json \.\/sbom\.cdx\.json$/m);
    // and the script it runs describes the runtime tree only
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.sbom).toMatch(/--omit dev/);
    expect(pkg.scripts.sbom).toMatch(/--output-file sbom\.cdx\.json/);
  });
});
