import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CONFIGURATION_VARIABLES } from '../../src/config.js';

describe('configuration reference', () => {
  it('lists every variable in the README', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    for (const name of Object.keys(CONFIGURATION_VARIABLES)) {
      assert.ok(readme.includes(`| \`${name}\``), `README.md has no configuration row for ${name}`);
    }
  });

  it('lists no variable that does not exist', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const known = new Set([
      ...Object.keys(CONFIGURATION_VARIABLES),
      'GATEHOUSE_TEST_DATABASES',
      'GATEHOUSE_REQUIRE_POSTGRES',
      'GATEHOUSE_REQUIRE_BROWSER',
      'GATEHOUSE_TEST_POSTGRES_URL',
    ]);
    for (const match of readme.matchAll(/GATEHOUSE_[A-Z_]+/g)) {
      assert.ok(known.has(match[0]), `README.md names ${match[0]}, which Gatehouse does not read`);
    }
  });
});
