import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigurationError, loadConfiguration } from '../../src/config.js';

function captureConfigurationError(environment: NodeJS.ProcessEnv): ConfigurationError {
  try {
    loadConfiguration(environment);
  } catch (error) {
    assert.ok(error instanceof ConfigurationError, `expected ConfigurationError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the configuration to be rejected');
}

describe('loadConfiguration', () => {
  it('applies defaults to an empty environment', () => {
    const config = loadConfiguration({});
    assert.equal(config.issuer, 'http://localhost:9000', 'the default issuer');
    assert.equal(config.port, 9000, 'the default port');
    assert.equal(config.host, '127.0.0.1', 'the default host is loopback');
    assert.equal(config.requirePkce, true, 'PKCE is required by default');
    assert.equal(config.allowInsecureRedirectUris, false, 'http redirect URIs are off by default');
    assert.equal(config.secureCookies, false, 'an http issuer gives no Secure cookies');
  });

  it('turns on secure cookies for https', () => {
    const config = loadConfiguration({ GATEHOUSE_ISSUER: 'https://localhost:9443' });
    assert.equal(config.issuer, 'https://localhost:9443', 'the issuer is kept');
    assert.equal(config.secureCookies, true, 'an https issuer gives Secure cookies');
  });

  it('treats empty variables as unset', () => {
    assert.equal(loadConfiguration({ GATEHOUSE_PORT: '' }).port, 9000);
  });

  const invalid: Array<{ name: string; variable: string; value: string }> = [
    { name: 'a non-numeric port', variable: 'GATEHOUSE_PORT', value: 'http' },
    { name: 'a port above 65535', variable: 'GATEHOUSE_PORT', value: '65536' },
    { name: 'a negative port', variable: 'GATEHOUSE_PORT', value: '-1' },
    { name: 'a fractional port', variable: 'GATEHOUSE_PORT', value: '80.5' },
    { name: 'an issuer with a trailing slash', variable: 'GATEHOUSE_ISSUER', value: 'https://localhost:9443/' },
    { name: 'an issuer with a query', variable: 'GATEHOUSE_ISSUER', value: 'https://localhost:9443?x=1' },
    { name: 'an issuer with a fragment', variable: 'GATEHOUSE_ISSUER', value: 'https://localhost:9443#x' },
    { name: 'an issuer with another scheme', variable: 'GATEHOUSE_ISSUER', value: 'ftp://localhost' },
    { name: 'a relative issuer', variable: 'GATEHOUSE_ISSUER', value: 'localhost:9000' },
    { name: 'a zero token lifetime', variable: 'GATEHOUSE_ACCESS_TOKEN_TTL', value: '0' },
    { name: 'an unknown log level', variable: 'GATEHOUSE_LOG_LEVEL', value: 'verbose' },
    { name: 'a yes/no flag', variable: 'GATEHOUSE_REQUIRE_PKCE', value: 'yes' },
  ];
  for (const { name, variable, value } of invalid) {
    it(`rejects ${name}`, () => {
      const error = captureConfigurationError({ [variable]: value });
      assert.match(error.message, new RegExp(`${variable}:`), `the message names ${variable}`);
      assert.ok(error.message.includes(`'${value}'`), `the message shows the value ${value}`);
    });
  }

  it('names every invalid variable', () => {
    const error = captureConfigurationError({ GATEHOUSE_PORT: 'abc', GATEHOUSE_ISSUER: 'https://localhost/' });
    assert.match(error.message, /GATEHOUSE_PORT:/, 'the port is named');
    assert.match(error.message, /GATEHOUSE_ISSUER:/, 'the issuer is named');
  });
});
