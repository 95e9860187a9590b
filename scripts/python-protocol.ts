/**
 * `npm run protocol:python`: writes the Python client's copy of the protocol from src/protocol, so that
 * both clients speak from one source: clients/python/qbt_monitor/protocol.py (the tables, with their doc
 * comments, and the TypeScript SDK's client error codes) and qbt_monitor/messages.py (python-messages.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { PYTHON_MESSAGES_PATH, pythonMessages } from './python-messages.js';
import { comment, py, rst, WIDTH } from './python-text.js';
import { ClientErrorCode } from '../src/client/errors.js';
import * as LIMITS from '../src/protocol/limits.js';
import {
  CLOSE_ACTIONS,
  ClientMessageType,
  CloseCode,
  closeAction,
  DURABLE_EVENT_TYPES,
  ENDPOINTS,
  ErrorCode,
  EVENT_TYPES,
  EventName,
  GROUP_OF_STATE,
  ServerMessageType,
  TORRENT_FIELDS,
  TORRENT_LIFECYCLE_SUBTYPES,
  TORRENT_STATE_GROUPS,
  torrentStateGroup,
} from '../src/protocol/index.js';

const ROOT = new URL('..', import.meta.url);
export const PYTHON_PROTOCOL_PATH = 'clients/python/qbt_monitor/protocol.py';

/** The doc comments of a `const` declared in `file`: its own, and each of its object literal's members'. */
interface Docs {
  own: string;
  members: Map<string, string>;
}

function docsOf(file: string, name: string): Docs {
  const text = readFileSync(new URL(file, ROOT), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    const declaration = statement.declarationList.declarations.find((d) => ts.isIdentifier(d.name) && d.name.text === name);
    if (!declaration) continue;
    const members = new Map<string, string>();
    let literal = declaration.initializer;
    while (literal && (ts.isAsExpression(literal) || ts.isSatisfiesExpression(literal))) literal = literal.expression;
    if (literal && ts.isObjectLiteralExpression(literal)) {
      for (const property of literal.properties) {
        if (ts.isPropertyAssignment(property) && ts.isIdentifier(property.name)) members.set(property.name.text, jsDocText(property));
      }
    }
    return { own: jsDocText(statement), members };
  }
  throw new Error(`${file} declares no const ${name}`);
}

function jsDocText(node: ts.Node): string {
  return ts
    .getJSDocCommentsAndTags(node)
    .filter(ts.isJSDoc)
    .map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? '')
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function tuple(values: readonly (string | number)[]): string {
  return values.length === 1 ? `(${py(values[0]!)},)` : `(${values.map(py).join(', ')})`;
}

/** `target = tuple` (or `frozenset(tuple)`) on one line, or one value a line when that is too long. */
function assignTuple(target: string, values: readonly (string | number)[], wrap: (text: string) => string = (text) => text): string[] {
  const line = `${target} = ${wrap(tuple(values))}`;
  if (line.length <= WIDTH) return [line];
  const [open, close] = wrap('\0').split('\0') as [string, string];
  return [`${target} = ${open}(`, ...values.map((value) => `    ${py(value)},`), `)${close}`];
}

/** `requestData` → `REQUEST_DATA`; already upper-case names stay as they are. */
function constantName(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** A class of `Final` constants, the Python form of a TypeScript `as const` object of codes or names. */
function constants(
  name: string,
  file: string,
  table: Readonly<Record<string, string | number>>,
  { summary, memberDocs = true }: { summary?: string; memberDocs?: boolean } = {},
): string[] {
  const docs = docsOf(file, name);
  const own = summary ?? docs.own;
  if (!own) throw new Error(`${file}: ${name} has no doc comment to carry into Python`);
  const lines = [`class ${name}:`, `    """${rst(own)}"""`, ''];
  for (const [key, value] of Object.entries(table)) {
    const doc = memberDocs ? (docs.members.get(key) ?? '') : '';
    lines.push(...comment(doc, '    '), `    ${constantName(key)}: Final = ${py(value)}`);
  }
  return lines;
}

function documented(name: string, file: string, declaration: string): string[] {
  return [...comment(docsOf(file, name).own), declaration];
}

function frozenset(text: string): string {
  return `frozenset(${text})`;
}

const PROTOCOL = {
  messageTypes: 'src/protocol/message-types.ts',
  events: 'src/protocol/events.ts',
  errors: 'src/protocol/errors.ts',
  limits: 'src/protocol/limits.ts',
  torrents: 'src/protocol/torrents.ts',
  torrentGroups: 'src/protocol/torrent-groups.ts',
  sdkErrors: 'src/client/errors.ts',
};

/** The text of clients/python/qbt_monitor/protocol.py. */
export function pythonProtocol(): string {
  const closeActions = [...new Set([...Object.values(CLOSE_ACTIONS), closeAction(-1)])].sort();
  const durable = EVENT_TYPES.filter((type) => DURABLE_EVENT_TYPES.has(type));
  const endpoints = Object.entries(ENDPOINTS).map(([path, types]) => `    ${py(path)}: ${tuple(types)},`);
  const actions = Object.entries(CLOSE_ACTIONS).map(([code, action]) => `    ${code}: ${py(action)},`);
  const sections: string[][] = [
    [
      '"""The qbt-monitor protocol as a client needs it: message types, event names, endpoints, error and close',
      'codes, what to do after each close, and the client error codes the TypeScript SDK uses too.',
      '',
      'Generated by ``npm run protocol:python`` from src/protocol (and src/client/errors.ts): edit those, not this',
      'file. test/python-client.test.ts fails while this file differs from what they generate.',
      '"""',
      'from __future__ import annotations',
      '',
      'from typing import Dict, Final, FrozenSet, Literal, Tuple',
    ],
    [`CloseAction = Literal[${closeActions.map(py).join(', ')}]`],
    [
      '#: The groups of ``TORRENT_STATE_GROUPS``.',
      'TorrentStateGroup = Literal[',
      ...TORRENT_STATE_GROUPS.map((group) => `    ${py(group)},`),
      ']',
    ],
    constants('ServerMessageType', PROTOCOL.messageTypes, ServerMessageType),
    constants('ClientMessageType', PROTOCOL.messageTypes, ClientMessageType),
    [
      ...comment(docsOf(PROTOCOL.messageTypes, 'EVENT_TYPES').own),
      ...assignTuple('EVENT_TYPES: Tuple[str, ...]', EVENT_TYPES),
      ...comment(docsOf(PROTOCOL.messageTypes, 'DURABLE_EVENT_TYPES').own),
      ...assignTuple('DURABLE_EVENT_TYPES: FrozenSet[str]', durable, frozenset),
      ...comment(docsOf(PROTOCOL.messageTypes, 'TORRENT_LIFECYCLE_SUBTYPES').own),
      ...assignTuple('TORRENT_LIFECYCLE_SUBTYPES: FrozenSet[str]', [...TORRENT_LIFECYCLE_SUBTYPES], frozenset),
      '#: Every type the server sends.',
      ...assignTuple('SERVER_MESSAGE_TYPES: Tuple[str, ...]', Object.values(ServerMessageType)),
      '#: Every type a client may send.',
      ...assignTuple('CLIENT_MESSAGE_TYPES: Tuple[str, ...]', Object.values(ClientMessageType)),
    ],
    constants('EventName', PROTOCOL.events, EventName),
    [
      ...comment(docsOf(PROTOCOL.torrents, 'TORRENT_FIELDS').own),
      ...assignTuple('TORRENT_FIELDS: Tuple[str, ...]', TORRENT_FIELDS),
      ...comment(docsOf(PROTOCOL.torrentGroups, 'TORRENT_STATE_GROUPS').own),
      ...assignTuple('TORRENT_STATE_GROUPS: Tuple[TorrentStateGroup, ...]', TORRENT_STATE_GROUPS),
      ...documented('GROUP_OF_STATE', PROTOCOL.torrentGroups, 'GROUP_OF_STATE: Dict[str, TorrentStateGroup] = {'),
      ...Object.entries(GROUP_OF_STATE).map(([state, group]) => `    ${py(state)}: ${py(group)},`),
      '}',
    ],
    [
      'def torrent_state_group(state: str) -> TorrentStateGroup:',
      '    """The group a qBittorrent state name is counted in (``GROUP_OF_STATE``).',
      '',
      `    Other names (a later qBittorrent's) are ${py(torrentStateGroup(''))}.`,
      '    """',
      `    return GROUP_OF_STATE.get(state, ${py(torrentStateGroup(''))})`,
    ],
    [...documented('ENDPOINTS', PROTOCOL.events, 'ENDPOINTS: Dict[str, Tuple[str, ...]] = {'), ...endpoints, '}'],
    constants('ErrorCode', PROTOCOL.errors, ErrorCode),
    ['#: Every ``ErrorCode``.', ...assignTuple('ERROR_CODES: FrozenSet[str]', Object.values(ErrorCode), frozenset)],
    constants('CloseCode', PROTOCOL.errors, CloseCode, { summary: 'The close codes the server uses, and what each means for a client.' }),
    [
      '#: What a client should do after a close, by code (the grouping clients switch on).',
      'CLOSE_ACTIONS: Dict[int, CloseAction] = {',
      ...actions,
      '}',
    ],
    [
      'def close_action(code: int) -> CloseAction:',
      '    """What to do after a close with ``code``.',
      '',
      `    Codes not in the table (a dropped network: 1006) mean ${py(closeAction(-1))}.`,
      '    """',
      `    return CLOSE_ACTIONS.get(code, ${py(closeAction(-1))})`,
    ],
    // Every limit the server enforces and clients keep within.
    Object.entries(LIMITS).flatMap(([name, value]) => documented(name, PROTOCOL.limits, `${name}: Final = ${py(value)}`)),
    // Their meaning for Python callers is documented with the exceptions that carry them (qbt_monitor/errors.py).
    constants('ClientErrorCode', PROTOCOL.sdkErrors, ClientErrorCode, { memberDocs: false }),
  ];
  return `${sections.map((lines) => lines.join('\n')).join('\n\n\n')}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(new URL(PYTHON_PROTOCOL_PATH, ROOT), pythonProtocol());
  writeFileSync(new URL(PYTHON_MESSAGES_PATH, ROOT), pythonMessages());
}
