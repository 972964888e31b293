import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { escapeForTerminal, printTable } from '../../src/cli/output.js';

describe('CLI output', () => {
  it('escapes control characters', () => {
    assert.equal(escapeForTerminal('a\u001b[31mred\u0007'), 'a\\u001b[31mred\\u0007', 'ESC and BEL become visible escapes');
    assert.equal(escapeForTerminal('line1\r\nline2'), 'line1\\u000d\\u000aline2', 'no line break is printed');
    assert.equal(escapeForTerminal('\u202Eevil'), '\\u202eevil', 'a bidirectional override is escaped');
    assert.equal(escapeForTerminal('Café 東京'), 'Café 東京', 'printable text stays');
  });

  it('prints table cells escaped', () => {
    const log = mock.method(console, 'log', () => undefined);
    try {
      printTable(['CLIENT'], [['\u001b]0;title\u0007fake\nrow']]);
    } finally {
      log.mock.restore();
    }
    for (const call of log.mock.calls) {
      assert.doesNotMatch(String(call.arguments[0]), /[\u0000-\u001f]/, 'no control character reaches the terminal');
    }
    assert.equal(log.mock.calls.length, 2, 'one header line and one row line');
  });
});
