// The status-bar item's text, emphasis and tooltip, the project a file belongs to, and the fixes offered.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import {
    fixesFor,
    mergeStatus,
    projectForFile,
    ProjectStatus,
    statusEmphasis,
    statusText,
    statusTooltip,
} from '../src/common/status';
import { CREATE_ENVIRONMENT, FIX_VERSIONS, INSTALL_MISSING, RECHECK, RECREATE_ENVIRONMENT } from '../src/common/constants';

const uri = (path: string) => pathToFileURL(path).href;
const none = { error: 0, warning: 0, information: 0, hint: 0 };

function project(overrides: Partial<ProjectStatus> = {}): ProjectStatus {
    return {
        root: uri('/work/app'),
        environment: { path: '/work/app/.venv', python: '3.11.7', source: 'in-project' },
        state: 'ok',
        counts: { ...none },
        summary: '.venv (Python 3.11.7)',
        ...overrides,
    };
}

const codes = (entries: Record<string, number>) => new Map(Object.entries(entries));

test('a healthy venv shows a check, its folder name and its Python', () => {
    assert.equal(statusText(project()), '$(check) .venv · 3.11.7');
    assert.equal(statusEmphasis(project()), 'none');
});

test('a venv given as a file URI is named by its folder', () => {
    const p = project({ environment: { path: uri('/work/app/venv/'), python: '3.12.1', source: 'configured' } });
    assert.equal(statusText(p), '$(check) venv · 3.12.1');
});

test('no venv shows an error icon and "No venv"', () => {
    const p = project({ environment: null, state: 'missing', counts: { ...none, warning: 1 }, summary: 'no venv' });
    assert.equal(statusText(p), '$(error) No venv');
    assert.equal(statusEmphasis(p), 'warning');
});

test('problems show how many packages are missing when the diagnostics say so', () => {
    const p = project({ state: 'problems', counts: { ...none, error: 3 } });
    assert.equal(statusText(p, codes({ VS201: 3 })), '$(warning) .venv · 3 missing');
    assert.equal(statusEmphasis(p), 'error');
});

test('problems count missing and mismatched packages apart', () => {
    const p = project({ state: 'problems', counts: { ...none, error: 2, warning: 1 } });
    assert.equal(statusText(p, codes({ VS201: 1, VS203: 1, VS202: 1 })), '$(warning) .venv · 2 missing, 1 mismatched');
});

test('other problems fall back to the counts per severity', () => {
    const p = project({ state: 'problems', counts: { error: 0, warning: 2, information: 1, hint: 0 } });
    assert.equal(statusText(p, codes({ VS302: 2 })), '$(warning) .venv · 2 warnings, 1 info');
    assert.equal(statusEmphasis(p), 'warning');
});

test('a running action shows a spinner with what runs', () => {
    const p = project({ state: 'busy', summary: 'Installing requests…' });
    assert.equal(statusText(p), '$(sync~spin) Installing requests…');
});

test('a busy project without a summary still spins', () => {
    assert.equal(statusText(project({ state: 'busy', summary: '' })), '$(sync~spin) Working…');
});

test('a broken venv is an error', () => {
    const p = project({ state: 'broken', summary: '.venv is broken' });
    assert.equal(statusText(p), '$(error) .venv broken');
    assert.equal(statusEmphasis(p), 'error');
});

test('the tooltip names the venv path, Python, source and counts per severity', () => {
    const text = statusTooltip(project({ counts: { error: 1, warning: 2, information: 0, hint: 1 } }));
    assert.match(text, /Environment: `\/work\/app\/\.venv`/);
    assert.match(text, /Python: 3\.11\.7/);
    assert.match(text, /Source: in-project/);
    assert.match(text, /1 error, 2 warnings, 0 information, 1 hint/);
});

test('the tooltip without a venv says there is none', () => {
    const text = statusTooltip(project({ environment: null, state: 'missing' }));
    assert.match(text, /Environment: none/);
});

test('the tooltip in an untrusted workspace says fixes are off', () => {
    assert.match(statusTooltip(project(), false), /Restricted Mode/);
});

test('a file belongs to the deepest project containing it', () => {
    const outer = project({ root: uri('/work/app') });
    const inner = project({ root: uri('/work/app/plugins/one') });
    const other = project({ root: uri('/work/application') });
    const all = [outer, inner, other];
    assert.equal(projectForFile(all, '/work/app/plugins/one/setup.cfg'), inner);
    assert.equal(projectForFile(all, uri('/work/app/requirements.txt')), outer);
    assert.equal(projectForFile(all, '/work/application/x.py'), other);
    assert.equal(projectForFile(all, '/elsewhere/notes.txt'), undefined);
});

test('a status notification replaces the projects it names and keeps the others', () => {
    const a = project({ root: uri('/a') });
    const b = project({ root: uri('/b') });
    const known = mergeStatus(new Map(), { projects: [a, b] });
    const a2 = project({ root: uri('/a'), state: 'busy' });
    const merged = mergeStatus(known, { projects: [a2] });
    assert.equal(merged.get(uri('/a')), a2);
    assert.equal(merged.get(uri('/b')), b);
});

const ids = (fixes: { id: string }[]) => fixes.map((f) => f.id);

/** The fixes as the server lists them for a project (its fix policy decides which and in what order). */
const serverFixes = (...commands: string[]) =>
    commands.map((command) => ({ title: command.replace('venvsense.', ''), command, arguments: [{ project: uri('/work/app') }] }));

test('the fixes are those the server lists, in its order, then the output', () => {
    const p = project({ environment: null, state: 'missing', fixes: serverFixes(CREATE_ENVIRONMENT, RECHECK) });
    assert.deepEqual(ids(fixesFor(p, true)), ['createEnvironment', 'recheck', 'showOutput']);
    const q = project({ state: 'problems', fixes: serverFixes(INSTALL_MISSING, FIX_VERSIONS, RECREATE_ENVIRONMENT, RECHECK) });
    assert.deepEqual(ids(fixesFor(q, true)), ['installMissing', 'fixVersions', 'recreateEnvironment', 'recheck', 'showOutput']);
});

test('a fix runs the server command with the arguments the server gave', () => {
    const p = project({ fixes: [{ title: 'Recreate .venv', command: RECREATE_ENVIRONMENT, arguments: [{ project: 'file:///p' }] }] });
    const [fix] = fixesFor(p, true);
    assert.equal(fix.label, '$(refresh) Recreate .venv');
    assert.equal(fix.command, RECREATE_ENVIRONMENT);
    assert.deepEqual(fix.arguments, [{ project: 'file:///p' }]);
    assert.ok(fix.runsProcess);
});

test('an untrusted workspace is offered nothing that runs a process', () => {
    const missing = project({ environment: null, state: 'missing', fixes: serverFixes(CREATE_ENVIRONMENT, RECHECK) });
    const fixes = fixesFor(missing, false);
    assert.deepEqual(ids(fixes), ['recheck', 'showOutput']);
    assert.ok(fixes.every((f) => !f.runsProcess));
    const problems = project({ state: 'problems', fixes: serverFixes(INSTALL_MISSING, RECREATE_ENVIRONMENT, RECHECK) });
    assert.deepEqual(ids(fixesFor(problems, false)), ['recheck', 'showOutput']);
});

test('while an action runs only the output is offered', () => {
    assert.deepEqual(ids(fixesFor(project({ state: 'busy', fixes: serverFixes(INSTALL_MISSING, RECHECK) }), true)), ['showOutput']);
});

test('a server that lists no fixes still offers the output', () => {
    assert.deepEqual(ids(fixesFor(project(), true)), ['showOutput']);
});
