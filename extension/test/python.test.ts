// The order in which the server's Python is chosen, and what a person is told when there is none.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
    chooseInterpreter,
    InterpreterSource,
    isRecentEnough,
    noInterpreterMessage,
    parseVersion,
    pathSources,
    probeInterpreter,
} from '../src/common/python';

function source(label: string, command: string[] | undefined, explicit = false): InterpreterSource {
    return { label, explicit, find: async () => command };
}

/** A probe that knows the versions of some commands and says "not found" for the rest. */
function probeOf(versions: Record<string, string>) {
    const asked: string[] = [];
    const probe = async (command: string[]) => {
        asked.push(command[0]);
        const version = versions[command[0]];
        if (!version) throw new Error('not found');
        return version;
    };
    return { probe, asked };
}

test('versions are read as numbers and compared against 3.10', () => {
    assert.deepEqual(parseVersion('3.11.7'), [3, 11, 7]);
    assert.deepEqual(parseVersion('3.13'), [3, 13, 0]);
    assert.equal(parseVersion('Python'), undefined);
    assert.equal(isRecentEnough('3.10.0'), true);
    assert.equal(isRecentEnough('3.9.18'), false);
    assert.equal(isRecentEnough('4.0.0'), true);
    assert.equal(isRecentEnough('2.7.18'), false);
});

test('the setting wins over the Python extension and PATH', async () => {
    const { probe, asked } = probeOf({ '/opt/py/bin/python': '3.12.1', '/ext/python': '3.11.7', python3: '3.11.7' });
    const choice = await chooseInterpreter(
        [source('setting', ['/opt/py/bin/python'], true), source('python extension', ['/ext/python']), ...pathSources('linux')],
        probe,
    );
    assert.deepEqual(choice.interpreter, { command: ['/opt/py/bin/python'], version: '3.12.1', source: 'setting' });
    assert.deepEqual(asked, ['/opt/py/bin/python']);
});

test('without the setting the Python extension comes before PATH', async () => {
    const { probe } = probeOf({ '/ext/python': '3.11.7', python3: '3.12.1' });
    const choice = await chooseInterpreter(
        [source('setting', undefined, true), source('python extension', ['/ext/python']), ...pathSources('linux')],
        probe,
    );
    assert.equal(choice.interpreter?.command[0], '/ext/python');
});

test('without the setting and the Python extension, python3 then python on PATH', async () => {
    const { probe, asked } = probeOf({ python: '3.10.13' });
    const choice = await chooseInterpreter([source('setting', undefined, true), source('python extension', undefined), ...pathSources('linux')], probe);
    assert.equal(choice.interpreter?.command[0], 'python');
    assert.deepEqual(asked, ['python3', 'python']);
});

test('a Python extension interpreter older than 3.10 is skipped for one on PATH', async () => {
    const { probe } = probeOf({ '/project/.venv/bin/python': '3.8.18', python3: '3.11.7' });
    const choice = await chooseInterpreter([source('python extension', ['/project/.venv/bin/python']), ...pathSources('linux')], probe);
    assert.equal(choice.interpreter?.command[0], 'python3');
    assert.equal(choice.rejected[0].reason, 'Python 3.8.18 is older than 3.10');
});

test('an unusable interpreter in the setting stops the search and is named in the message', async () => {
    const { probe, asked } = probeOf({ python3: '3.11.7' });
    const choice = await chooseInterpreter([source('setting venvsense.server.interpreter', ['/nope/python'], true), ...pathSources('linux')], probe);
    assert.equal(choice.interpreter, undefined);
    assert.equal(choice.stoppedAtExplicit, true);
    assert.deepEqual(asked, ['/nope/python']);
    const message = noInterpreterMessage(choice);
    assert.match(message, /venvsense\.server\.interpreter/);
    assert.match(message, /\/nope\/python/);
    assert.match(message, /not found/);
});

test('when nothing is usable the message lists what was tried and how to fix it', async () => {
    const { probe } = probeOf({ python3: '3.9.18' });
    const choice = await chooseInterpreter(pathSources('linux'), probe);
    assert.equal(choice.interpreter, undefined);
    const message = noInterpreterMessage(choice);
    assert.match(message, /Python 3\.10 or newer/);
    assert.match(message, /python3 on PATH \(python3\): Python 3\.9\.18 is older than 3\.10/);
    assert.match(message, /python on PATH \(python\): not found/);
    assert.match(message, /set venvsense\.server\.interpreter/);
});

test('a source that fails is skipped', async () => {
    const { probe } = probeOf({ python3: '3.11.7' });
    const failing: InterpreterSource = { label: 'python extension', explicit: false, find: async () => { throw new Error('API gone'); } };
    const choice = await chooseInterpreter([failing, ...pathSources('linux')], probe);
    assert.equal(choice.interpreter?.command[0], 'python3');
    assert.equal(choice.rejected[0].reason, 'API gone');
});

test('on Windows PATH means python, then the py launcher', () => {
    assert.deepEqual(pathSources('win32').map((s) => s.label), ['python on PATH', 'py on PATH']);
});

test('probing a real interpreter reads its version; a missing one is "not found"', async () => {
    const real = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    assert.ok(parseVersion(await probeInterpreter([real])));
    await assert.rejects(probeInterpreter(['/definitely/not/python']), /not found/);
});
