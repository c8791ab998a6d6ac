// What the server is told from the venvsense.* settings.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
    configurationAnswer,
    expandPath,
    initializationOptions,
    readInterpreterSetting,
    readServerSettings,
} from '../src/common/settings';

/** A configuration like VS Code's: values by dotted key, defaults when absent. */
function config(values: Record<string, unknown>) {
    return {
        get<T>(key: string, fallback?: T): T | undefined {
            return (key in values ? values[key] : fallback) as T | undefined;
        },
    };
}

test('defaults when nothing is set', () => {
    assert.deepEqual(readServerSettings(config({})), {
        venv: '',
        installer: 'auto',
        severity: {},
        checkImports: true,
        checkUnused: true,
        requirements: [],
        install: { findLinks: [], noIndex: false },
        inlayHints: { installed: true },
        codeLens: false,
    });
});

test('inlay hints can be turned off and code lenses on', () => {
    const settings = readServerSettings(config({ 'inlayHints.installed': false, codeLens: true }));
    assert.deepEqual(settings.inlayHints, { installed: false });
    assert.equal(settings.codeLens, true);
});

test('settings are passed with the names the server reads', () => {
    const settings = readServerSettings(
        config({
            venv: '${workspaceFolder}/envs/dev',
            installer: 'pip',
            severity: { VS303: 'off', VS208: 'hint', bad: 3 },
            checkImports: false,
            requirements: ['deps/*.txt'],
            'install.findLinks': ['~/wheels', '${workspaceFolder}/wheelhouse'],
            'install.noIndex': true,
        }),
        '/work/app',
        '/home/me',
    );
    assert.equal(settings.venv, '/work/app/envs/dev');
    assert.equal(settings.installer, 'pip');
    assert.deepEqual(settings.severity, { VS303: 'off', VS208: 'hint' });
    assert.equal(settings.checkImports, false);
    assert.deepEqual(settings.requirements, ['deps/*.txt']);
    assert.deepEqual(settings.install.findLinks, ['/home/me/wheels', '/work/app/wheelhouse']);
    assert.equal(settings.install.noIndex, true);
});

test('an unknown installer falls back to auto', () => {
    assert.equal(readServerSettings(config({ installer: 'conda' })).installer, 'auto');
});

test('initialization options carry the settings flat and whether the workspace is trusted', () => {
    const options = initializationOptions(readServerSettings(config({})), false);
    assert.equal(options.trusted, false);
    assert.equal(options.installer, 'auto');
});

test('the interpreter setting is empty or a path', () => {
    assert.equal(readInterpreterSetting(config({})), undefined);
    assert.equal(readInterpreterSetting(config({ 'server.interpreter': '  ' })), undefined);
    assert.deepEqual(readInterpreterSetting(config({ 'server.interpreter': '~/py/bin/python3' }), undefined, '/home/me'), [
        '/home/me/py/bin/python3',
    ]);
});

test('only ~ at the start and ${workspaceFolder} are expanded', () => {
    assert.equal(expandPath('a~b', '/w', '/h'), 'a~b');
    assert.equal(expandPath('~', '/w', '/h'), '/h');
    assert.equal(expandPath('${workspaceFolder}', undefined, '/h'), '${workspaceFolder}');
});

test("a folder's pulled settings are read like the initialization options, with trust", () => {
    const folder = config({ venv: '${workspaceFolder}/.env', 'install.findLinks': ['~/w'], installer: 'uv' });
    const answer = configurationAnswer(
        'venvsense',
        { venv: '${workspaceFolder}/.env', trusted: true },
        () => readServerSettings(folder, '/work/b', '/home/me'),
        false,
    ) as Record<string, unknown>;
    assert.equal(answer.venv, '/work/b/.env');
    assert.equal(answer.installer, 'uv');
    assert.deepEqual((answer.install as { findLinks: string[] }).findLinks, ['/home/me/w']);
    assert.equal(answer.trusted, false); // never what the raw answer said
    assert.deepEqual(configurationAnswer('python', { a: 1 }, () => readServerSettings(config({})), true), { a: 1 });
});

test('an empty index URL is left out (the server reads only a URL there; none means the default index)', () => {
    assert.equal('indexUrl' in readServerSettings(config({ 'install.indexUrl': '  ' })).install, false);
    assert.equal(readServerSettings(config({ 'install.indexUrl': 'https://pypi.example/simple' })).install.indexUrl, 'https://pypi.example/simple');
});
