// The status-bar item's text, emphasis and tooltip, the project a file belongs to, and the fixes offered.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import {
    fixesFor,
    fixGroups,
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

test("a uv workspace member's shared venv names the workspace and the member", () => {
    const workspace = { root: uri('/work/ws'), member: 'api', shared: true };
    const env = { path: '/work/ws/.venv', python: '3.12.1', source: 'enclosing-project' };
    assert.equal(statusText(project({ environment: env, workspace })), '$(check) .venv (workspace) · api · 3.12.1');
    const problems = project({ environment: env, workspace, state: 'problems', counts: { ...none, warning: 1 } });
    assert.equal(statusText(problems), '$(warning) .venv (workspace) · api · 1 warning');
    const root = project({ environment: env, workspace: { ...workspace, member: null } });
    assert.equal(statusText(root), '$(check) .venv (workspace) · 3.12.1');
    const own = project({ workspace: { ...workspace, shared: false } }); // a member with a venv of its own
    assert.equal(statusText(own), '$(check) .venv · 3.11.7');
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

const missing = (line: number, name: string, fix: string | null) => ({
    code: 'VS201',
    severity: 'error' as const,
    message: `${name} is declared but not installed in .venv`,
    uri: uri('/work/app/requirements.txt'),
    line,
    fix,
});

test('the tooltip lists the top problems with where they are and their fixes', () => {
    const p = project({
        state: 'problems',
        counts: { error: 4, warning: 0, information: 2, hint: 0 },
        problems: [missing(0, 'alpha==1.0', 'Install alpha==1.0'), missing(1, 'beta', 'Install beta'), missing(2, 'gamma', null)],
    });
    const lines = statusTooltip(p).split('\n');
    assert.ok(lines.includes('Top 3 of 6:'), lines.join('\n'));
    assert.ok(lines.includes('- $(error) requirements.txt:1 VS201 alpha==1.0 is declared but not installed in .venv — fix: *Install alpha==1.0*'));
    assert.ok(lines.includes('- $(error) requirements.txt:3 VS201 gamma is declared but not installed in .venv'));
    assert.ok(lines.indexOf('Top 3 of 6:') < lines.findIndex((line) => line.includes('alpha')));
});

test('the tooltip says "All of them" when every problem is listed, and nothing from an older server', () => {
    const p = project({ state: 'problems', counts: { ...none, error: 1 }, problems: [missing(0, 'alpha', 'Install alpha')] });
    assert.ok(statusTooltip(p).includes('All of them:'));
    assert.ok(!statusTooltip(project({ state: 'problems', counts: { ...none, error: 1 } })).includes('Top'));
});

test('a problem outside the project shows its full path, and Markdown in messages is escaped', () => {
    const p = project({
        problems: [{ code: 'VS102', severity: 'warning', message: 'uses `/other/.venv`', uri: uri('/other/x.txt'), line: 4, fix: 'Use this project\'s .venv' }],
    });
    assert.ok(statusTooltip(p).includes("- $(warning) /other/x.txt:5 VS102 uses \\`/other/.venv\\` — fix: *Use this project's .venv*"), statusTooltip(p));
});

test('with several projects the fixes are grouped per project, the current one first', () => {
    const api = project({ root: uri('/work/api'), summary: 'no venv', state: 'missing', fixes: [{ title: 'Create .venv here', command: CREATE_ENVIRONMENT }] });
    const web = project({ root: uri('/work/web'), fixes: [{ title: 'Re-check', command: RECHECK }] });
    const app = project({ fixes: [{ title: 'Install missing', command: INSTALL_MISSING }] });
    const groups = fixGroups([api, web, app], web, true);
    assert.deepEqual(groups.map((g) => g.label), ['web', 'api', 'app']);
    assert.deepEqual(groups.map((g) => g.fixes.map((f) => f.id)), [['recheck'], ['createEnvironment'], ['installMissing']]);
    assert.ok(groups.every((g) => g.fixes.every((f) => f.id !== 'showOutput')));
});

test('grouped fixes: repeated folder names get their parent, busy and untrusted projects offer no process', () => {
    const one = project({ root: uri('/work/a/api'), fixes: [{ title: 'Install missing', command: INSTALL_MISSING }, { title: 'Re-check', command: RECHECK }] });
    const two = project({ root: uri('/work/b/api'), fixes: [{ title: 'Fix versions', command: FIX_VERSIONS }] });
    const groups = fixGroups([two, one], undefined, false);
    assert.deepEqual(groups.map((g) => g.label), ['a/api', 'b/api']);
    assert.deepEqual(groups.map((g) => g.fixes.map((f) => f.id)), [['recheck'], []]);
    const busy = fixGroups([one], undefined, true, new Set([one.root]));
    assert.deepEqual(busy[0].fixes, []);
});
