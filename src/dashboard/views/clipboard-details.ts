/**
 * The clipboard card's lists: how it watches, recent adds with the rule that chose each and where it went
 * (category, save path), links pending until qBittorrent takes them, failures with their reason, counts per rule.
 */
import type { AddedLink, ClipboardStatus, FailedLink } from '../../client/index.js';
import type { PendingLink, RuleCounts } from '../../protocol/index.js';
import { h, relativeTime } from '../dom.js';
import { clockTime, count } from '../format.js';
import { t } from '../i18n.js';

/** Older servers send no pending links. */
type Details = Omit<NonNullable<ClipboardStatus['details']>, 'pending' | 'pending_count'> & {
  pending?: PendingLink[];
  pending_count?: number;
};

export function clipboardLists(details: Details | undefined): HTMLElement[] {
  if (!details) return [];
  const words = t();
  const lists: HTMLElement[] = [];
  if (details.detection) {
    const how = words.detection[details.detection] ?? details.detection;
    lists.push(h('p', { class: 'clipboard__detection' }, details.detection_reason ? `${how}: ${details.detection_reason}` : how));
  }
  const pending = details.pending ?? [];
  const pendingCount = details.pending_count ?? pending.length;
  if (pendingCount > 0) {
    lists.push(
      section(
        'pending',
        words.pendingLinks(pendingCount),
        pending.map((link) => linkItem(link, pendingNote(link))),
      ),
    );
  }
  if (details.recent_adds?.length)
    lists.push(
      section(
        'adds',
        words.recentAdds,
        details.recent_adds.map((link) => linkItem(link)),
      ),
    );
  if (details.recent_failures?.length) {
    lists.push(
      section(
        'failures',
        words.failures,
        details.recent_failures.map((link) => linkItem(link, link.reason)),
      ),
    );
  }
  if (details.rules?.length) lists.push(rulesTable(details.rules));
  return lists;
}

function section(name: string, title: string, items: HTMLLIElement[]): HTMLElement {
  return h('section', { class: `clipboard__list clipboard__list--${name}` }, h('h4', {}, title), h('ul', {}, ...items));
}

/** "name → category / save path · rule “tv” · paused", its age, and a note (a failure's reason) when there is one. */
function linkItem(link: AddedLink | FailedLink | PendingLink, note?: string | null): HTMLLIElement {
  const words = t();
  // A failure carries placement only once a rule was chosen.
  const { rule } = link;
  const placed = rule !== undefined;
  const where = placed ? `${link.category ?? words.noCategory} / ${link.save_path ?? words.defaultSavePath}` : '';
  const how = [
    rule === undefined ? '' : rule === null ? words.noRule : words.byRule(rule),
    link.tags?.length ? link.tags.join(', ') : '',
    link.paused ? words.pausedWord : '',
  ].filter((part) => part !== '');
  return h(
    'li',
    { class: 'clipboard-link', 'data-info-hash': link.info_hash ?? undefined },
    h('span', { class: 'clipboard-link__name' }, link.name || link.info_hash || (words.linkKinds[link.kind] ?? link.kind)),
    where && h('span', { class: 'clipboard-link__where' }, ` → ${where}`),
    how.length > 0 && h('span', { class: 'clipboard-link__how' }, how.join(' · ')),
    h('span', { class: 'clipboard-link__at' }, relativeTime(Date.parse(link.at))),
    note && h('span', { class: 'clipboard-link__note' }, note),
  );
}

function pendingNote(link: PendingLink): string {
  const words = t();
  const next = link.next_retry_at ? words.nextTry(clockTime(Date.parse(link.next_retry_at))) : '';
  return [words.attempts(link.attempts), next, link.reason ?? ''].filter((part) => part !== '').join(' · ');
}

function rulesTable(rules: readonly RuleCounts[]): HTMLElement {
  const words = t();
  const cell = (value: number) => h('td', {}, count(value));
  return h(
    'section',
    { class: 'clipboard__list clipboard__list--rules' },
    h('h4', {}, words.perRule),
    h(
      'table',
      { class: 'rule-counts' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, words.rule),
          h('th', { scope: 'col' }, words.added),
          h('th', { scope: 'col' }, words.skippedCol),
          h('th', { scope: 'col' }, words.failed),
        ),
      ),
      h(
        'tbody',
        {},
        ...rules.map((counts) =>
          h(
            'tr',
            { 'data-rule': counts.rule ?? '' },
            h('th', { scope: 'row' }, counts.rule ?? words.otherLinks),
            cell(counts.added),
            cell(counts.skipped),
            cell(counts.failed),
          ),
        ),
      ),
    ),
  );
}
