/** The service's language from its environment (LC_ALL, LC_MESSAGES, LANG) where the config file sets none, as `serve` loads it and as a later edit of the file is read. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { applyOverrides, loadConfig, localeFromEnv, overridesFromEnv } from '../src/config/load.js';
import { validateConfig } from '../src/config/validate.js';

describe('locale from the environment', () => {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** Loads a data directory holding `file` as its config.json (none when undefined) with `env` as the environment. */
  function load(env: NodeJS.ProcessEnv, file?: object): string {
    const dataDir = mkdtempSync(join(tmpdir(), 'qbtm-locale-'));
    dirs.push(dataDir);
    if (file) writeFileSync(join(dataDir, 'config.json'), JSON.stringify(file));
    return loadConfig(overridesFromEnv(env), { dataDir }).config.locale;
  }

  test('the first of LC_ALL, LC_MESSAGES and LANG that is set decides: zh* is zh, anything else en', () => {
    assert.equal(localeFromEnv({ LANG: 'zh_CN.UTF-8' }), 'zh');
    assert.equal(localeFromEnv({ LANG: 'zh_TW' }), 'zh');
    assert.equal(localeFromEnv({ LANG: 'en_US.UTF-8' }), 'en');
    assert.equal(localeFromEnv({ LANG: 'C.UTF-8' }), 'en');
    assert.equal(localeFromEnv({ LANG: 'de_DE.UTF-8' }), 'en');
    assert.equal(localeFromEnv({ LC_ALL: 'en_GB.UTF-8', LC_MESSAGES: 'zh_CN.UTF-8', LANG: 'zh_CN.UTF-8' }), 'en');
    assert.equal(localeFromEnv({ LC_MESSAGES: 'zh_CN.UTF-8', LANG: 'en_US.UTF-8' }), 'zh');
    // An empty variable counts as unset, as in POSIX.
    assert.equal(localeFromEnv({ LC_ALL: '', LC_MESSAGES: '', LANG: 'zh_CN.UTF-8' }), 'zh');
    assert.equal(localeFromEnv({}), undefined);
  });

  test('serve loads it where the file sets no locale; the file beats it; nothing set leaves the default', () => {
    assert.equal(load({ LANG: 'zh_CN.UTF-8' }), 'zh');
    assert.equal(load({ LANG: 'en_US.UTF-8' }), 'en');
    assert.equal(load({ LANG: 'en_US.UTF-8' }, { check_interval: 2 }), 'en');
    assert.equal(load({ LANG: 'zh_CN.UTF-8' }, { locale: 'en' }), 'en');
    assert.equal(load({ LANG: 'en_US.UTF-8' }, { locale: 'zh' }), 'zh');
    assert.equal(load({}), validateConfig({}, 'defaults').locale);
  });

  test('a later edit of the file that drops its locale falls back to the environment, not to the default', () => {
    const overrides = overridesFromEnv({ LANG: 'en_US.UTF-8' });
    assert.equal(validateConfig(applyOverrides({ locale: 'zh' }, overrides), 'edited').locale, 'zh');
    assert.equal(validateConfig(applyOverrides({ log_level: 'DEBUG' }, overrides), 'edited').locale, 'en');
  });
});
