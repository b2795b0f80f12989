#!/usr/bin/env node
// CI gate: a dry-run version bump must give every package the level its changesets ask for.
// A package bumped higher than any of its changesets says (e.g. major through a peer-dependency
// range or the `linked` group) fails the check, naming the package and both levels.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const LEVELS = ['none', 'patch', 'minor', 'major'];
const rank = (level) => LEVELS.indexOf(level);

const dir = mkdtempSync(path.join(tmpdir(), 'nori-changesets-'));
const out = path.join(dir, 'status.json');
try {
  execFileSync('npx', ['changeset', 'status', '--output', out], { stdio: ['ignore', 'ignore', 'inherit'] });
  const status = JSON.parse(readFileSync(out, 'utf8'));
  const asked = new Map();
  for (const changeset of status.changesets) {
    for (const { name, type } of changeset.releases) {
      if (rank(type) > rank(asked.get(name) ?? 'none')) asked.set(name, type);
    }
  }
  const problems = [];
  for (const release of status.releases) {
    const wanted = asked.get(release.name) ?? 'none';
    // A dependent may get a patch bump for an internal dependency's release; never more.
    const allowed = wanted === 'none' ? 'patch' : wanted;
    if (rank(release.type) > rank(allowed)) {
      problems.push(
        `${release.name}: changesets ask for ${wanted}, a version bump would make it ${release.type} (${release.oldVersion} -> ${release.newVersion})`,
      );
    }
  }
  for (const release of status.releases) {
    console.log(`${release.name}: ${release.type} ${release.oldVersion} -> ${release.newVersion}`);
  }
  if (problems.length > 0) {
    console.error(`changeset levels differ from what the changesets say:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`changeset levels: ${status.releases.length} packages bump as their changesets say`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
