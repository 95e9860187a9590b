/**
 * The dashboard's own words in English and Chinese: the language follows the browser (navigator.languages) until
 * the user picks one, which is remembered. Server texts (alert titles, reasons) come in the service's `locale`.
 */
import { TORRENT_WORDS } from './torrent-texts.js';

export const LANGUAGES = ['en', 'zh'] as const;
export type Language = (typeof LANGUAGES)[number];

const STORAGE_KEY = 'qbt-monitor.language';

const en = {
  languageLabel: 'Language',
  signedOut: 'Signed out',
  connecting: 'Connecting…',
  reconnectingNow: 'Reconnecting…',
  attempt: (n: number) => `attempt ${n}`,
  live: 'Live',
  connectedAs: (id: string) => `connected as ${id}`,
  reconnecting: 'Reconnecting',
  inSeconds: (s: number) => `in ${s} s`,
  now: 'now',
  connectionClosed: (code: number, reason: string, attempt: number) =>
    `connection closed (${code}${reason ? `: ${reason}` : ''}), attempt ${attempt}`,
  closing: 'Closing…',
  refused: (why: string) => `Refused: ${why}`,
  closeCode: (code: number) => `close code ${code}`,
  gaveUp: 'Disconnected: gave up reconnecting',
  disconnected: 'Disconnected',
  adminKey: 'admin key',
  readKey: 'read-only key',
  forgetKey: 'Forget key',

  loginTitle: 'Connect to qbt-monitor',
  loginHelpBefore: 'Paste the API key the service printed when it first started, or any key from ',
  loginHelpMiddle: '. This browser keeps it until you choose ',
  loginHelpAfter: '.',
  apiKey: 'API key',
  connect: 'Connect',
  pasteKeyFirst: 'Paste an API key first.',
  keyRefused: (reason: string) => `The server refused this key (${reason}). Paste the key qbt-monitor printed when it first started.`,

  system: 'System',
  lastTenMinutes: 'last 10 minutes',
  cpu: 'CPU',
  memory: 'Memory',
  disk: 'Disk',
  network: 'Network',
  sent: 'Sent',
  received: 'Received',
  processes: 'processes',
  load: 'Load',
  loadTitle: 'Load average over 1, 5 and 15 minutes',
  eachCore: 'Each core',
  core: (n: number, busy: string) => `Core ${n}: ${busy}`,
  cpuChart: 'CPU usage over the last 10 minutes',
  memoryChart: 'Memory usage over the last 10 minutes',
  diskChart: 'Disk usage over the last 10 minutes',
  networkChart: 'Network traffic sent and received over the last 10 minutes',
  share: (used: string, total: string) => `${used} of ${total}`,
  noSamples: 'No samples',
  historyFailed: (why: string) => `Earlier samples could not be loaded: ${why}`,
  gaps: (spans: string) => `No samples ${spans}: the service was not running or not sampling.`,

  alerts: 'Alerts',
  activeCount: (n: number) => `${n} active`,
  noAlerts: 'No active alerts.',
  recentlyResolved: 'Recently resolved',
  noResolved: 'None since this page opened.',
  critical: 'Critical',
  warning: 'Warning',
  info: 'Info',
  value: 'Value',
  threshold: 'Threshold',
  raised: 'Raised',
  topProcesses: 'Top processes',
  suggestion: 'Suggestion: ',
  resolve: 'Resolve',
  resolving: 'Resolving…',
  resolveFailed: (why: string) => `Could not resolve: ${why}`,
  alertOfType: (type: string) => `${type} alert`,
  resolvedAgo: 'resolved ',
  byWhom: (who: string) => ` by ${who}`,

  acknowledge: 'Acknowledge',
  acknowledging: 'Acknowledging…',
  ackComment: 'Comment',
  ackCommentHint: 'what you are doing about it',
  ackFailed: (why: string) => `Could not acknowledge: ${why}`,
  acknowledgedBy: (who: string) => `Acknowledged by ${who}`,
  silence: 'Silence',
  silencing: 'Silencing…',
  silenceHour: '1 hour',
  silenceDay: '1 day',
  silenceUntil: 'Until',
  silenceUntilButton: 'Silence until then',
  silenceComment: 'Comment (optional)',
  silenceFailed: (why: string) => `Could not silence: ${why}`,
  silenceBadUntil: 'Pick a time in the future.',
  silenced: 'Silenced',
  reminder: (n: number) => `reminder ${n}`,
  cancel: 'Cancel',

  notifications: 'Notifications',
  notificationsNote: 'where alerts are sent',
  noTargets: 'No notification targets: add them under notifications.targets in the config.',
  targetsFailed: (why: string) => `Targets could not be read: ${why}`,
  targetStates: { ok: 'ok', failing: 'failing', disabled: 'disabled' } as Readonly<Record<string, string>>,
  backlog: 'Backlog',
  lastSuccess: 'Last success',
  lastError: 'Last error',
  sentCount: 'Sent',
  failedAttempts: 'Failed attempts',
  givenUp: 'Given up',
  test: 'Test',
  testing: 'Testing…',
  testDelivered: (ms: number) => `Test delivered in ${ms} ms`,
  testFailed: (why: string) => `Test failed: ${why}`,

  silences: 'Silences',
  noSilences: 'No silences in force.',
  silencesFailed: (why: string) => `Silences could not be read: ${why}`,
  ends: 'Ends',
  createdBy: 'By',
  comment: 'Comment',
  deleteSilence: 'Delete',
  deleting: 'Deleting…',
  deleteFailed: (why: string) => `Could not delete: ${why}`,

  alertHistory: 'Alert history',
  noHistory: 'No alerts yet.',
  loadOlder: 'Load older',
  loading: 'Loading…',
  alertHistoryFailed: (why: string) => `The history could not be read: ${why}`,
  statusActive: 'active',
  statusResolved: 'resolved',
  resolvedBy: (who: string) => `resolved by ${who}`,
  targetAlertGone: (id: string) => `Alert ${id} is not in the history shown.`,

  components: 'Components',
  qbittorrent: 'qBittorrent',
  clipboardMonitor: 'Clipboard monitor',
  noStatusYet: 'no status yet',
  statusWords: {
    running: 'running',
    connected: 'connected',
    connecting: 'connecting',
    disconnected: 'disconnected',
    auth_failed: 'login failed',
    unavailable: 'unavailable',
    not_configured: 'not configured',
    stopped: 'stopped',
    disabled: 'disabled',
  } as Readonly<Record<string, string>>,
  updated: 'Updated',
  setup: 'Setup',
  setupQbittorrent: 'Set qbittorrent.url in the config to connect to qBittorrent’s WebUI.',
  why: 'Why',
  version: 'Version',
  unknown: 'unknown',
  webUi: 'WebUI',
  lastActivity: 'Last activity',
  statusSince: 'Status since',
  error: 'Error',
  nextRetry: 'Next retry',
  atTime: (time: string) => `at ${time}`,
  linksProcessed: 'Links processed',
  added: 'Added',
  failed: 'Failed',
  duplicatesSkipped: 'Duplicates skipped',
  lastCheck: 'Last check',
  never: 'never',
  lastAdded: 'Last added',
  lastFailure: 'Last failure',

  recentAdds: 'Recent adds',
  pendingLinks: (n: number) => `Pending (${n})`,
  failures: 'Failures',
  perRule: 'Per rule',
  rule: 'Rule',
  byRule: (rule: string) => `rule “${rule}”`,
  noRule: 'no rule: the defaults',
  otherLinks: '(no rule)',
  noCategory: 'no category',
  defaultSavePath: 'qBittorrent’s save path',
  pausedWord: 'paused',
  linkKinds: {
    magnet: 'a magnet link',
    torrent_url: 'a .torrent URL',
    torrent_file: 'a .torrent file',
    info_hash: 'an info-hash',
  } as Readonly<Record<string, string>>,
  skippedCol: 'Skipped',
  skippedByRules: 'Skipped by rules',
  attempts: (n: number) => (n === 1 ? '1 try' : `${n} tries`),
  nextTry: (time: string) => `next at ${time}`,
  detection: {
    xfixes: 'Watching X11 clipboard changes',
    'wl-paste': 'Watching Wayland clipboard changes',
    polling: 'Polling the clipboard',
  } as Readonly<Record<string, string>>,

  activity: 'Activity',
  activityNote: 'config changes and service events',
  noActivity: 'Nothing in the event log yet.',
  feedFailed: (why: string) => `Earlier events could not be loaded: ${why}`,
  kindConfig: 'config',
  kindSystem: 'system',
  configRejected: (who: string) => `Config change by ${who} rejected`,
  configUpdated: (who: string, fields: number) => `Config updated by ${who}: ${fields === 1 ? '1 field' : `${fields} fields`}`,
  changedTo: ' changed to ',
  unset: '(unset)',
  serviceStarted: (pid: string) => `Service started (pid ${pid})`,
  serviceRestarted: (pid: string) => `Service restarted (pid ${pid})`,
  serviceStopping: 'Service stopping',
  reason: (why: string, ran: string) => `Reason: ${why}${ran}`,
  afterRunning: (time: string) => `, after running ${time}`,

  justNow: 'just now',
  ago: (time: string) => `${time} ago`,
  units: { d: 'd', h: 'h', min: 'min', s: 's' },

  torrents: TORRENT_WORDS.en,
};

export type Words = typeof en;

const zh: Words = {
  languageLabel: '语言',
  signedOut: '未登录',
  connecting: '正在连接…',
  reconnectingNow: '正在重新连接…',
  attempt: (n) => `第 ${n} 次尝试`,
  live: '实时',
  connectedAs: (id) => `连接编号 ${id}`,
  reconnecting: '将重新连接',
  inSeconds: (s) => `${s} 秒后`,
  now: '现在',
  connectionClosed: (code, reason, attempt) => `连接已关闭（${code}${reason ? `：${reason}` : ''}），第 ${attempt} 次尝试`,
  closing: '正在关闭…',
  refused: (why) => `被拒绝：${why}`,
  closeCode: (code) => `关闭码 ${code}`,
  gaveUp: '已断开：不再重试',
  disconnected: '已断开',
  adminKey: '管理员密钥',
  readKey: '只读密钥',
  forgetKey: '忘记密钥',

  loginTitle: '连接到 qbt-monitor',
  loginHelpBefore: '粘贴服务首次启动时打印的 API 密钥，或 ',
  loginHelpMiddle: ' 中的任一密钥。此浏览器会保存它，直到你选择',
  loginHelpAfter: '。',
  apiKey: 'API 密钥',
  connect: '连接',
  pasteKeyFirst: '请先粘贴 API 密钥。',
  keyRefused: (reason) => `服务器拒绝了此密钥（${reason}）。请粘贴 qbt-monitor 首次启动时打印的密钥。`,

  system: '系统',
  lastTenMinutes: '最近 10 分钟',
  cpu: 'CPU',
  memory: '内存',
  disk: '磁盘',
  network: '网络',
  sent: '发送',
  received: '接收',
  processes: '个进程',
  load: '负载',
  loadTitle: '1、5、15 分钟平均负载',
  eachCore: '每个核心',
  core: (n, busy) => `核心 ${n}：${busy}`,
  cpuChart: '最近 10 分钟的 CPU 使用率',
  memoryChart: '最近 10 分钟的内存使用率',
  diskChart: '最近 10 分钟的磁盘使用率',
  networkChart: '最近 10 分钟发送和接收的网络流量',
  share: (used, total) => `${used} / ${total}`,
  noSamples: '无采样',
  historyFailed: (why) => `无法加载之前的采样：${why}`,
  gaps: (spans) => `${spans} 没有采样：服务未运行或未采样。`,

  alerts: '告警',
  activeCount: (n) => `${n} 个活动告警`,
  noAlerts: '没有活动告警。',
  recentlyResolved: '最近解决',
  noResolved: '本页打开以来没有。',
  critical: '严重',
  warning: '警告',
  info: '信息',
  value: '当前值',
  threshold: '阈值',
  raised: '触发于',
  topProcesses: '占用最多的进程',
  suggestion: '建议：',
  resolve: '解决',
  resolving: '正在解决…',
  resolveFailed: (why) => `无法解决：${why}`,
  alertOfType: (type) => `${type} 告警`,
  resolvedAgo: '解决于 ',
  byWhom: (who) => `，操作者 ${who}`,

  acknowledge: '确认',
  acknowledging: '正在确认…',
  ackComment: '备注',
  ackCommentHint: '你正在如何处理',
  ackFailed: (why) => `无法确认：${why}`,
  acknowledgedBy: (who) => `已由 ${who} 确认`,
  silence: '静默',
  silencing: '正在静默…',
  silenceHour: '1 小时',
  silenceDay: '1 天',
  silenceUntil: '直到',
  silenceUntilButton: '静默到该时间',
  silenceComment: '备注（可选）',
  silenceFailed: (why) => `无法静默：${why}`,
  silenceBadUntil: '请选择将来的时间。',
  silenced: '已静默',
  reminder: (n) => `第 ${n} 次提醒`,
  cancel: '取消',

  notifications: '通知',
  notificationsNote: '告警发送到哪里',
  noTargets: '没有通知目标：请在配置的 notifications.targets 中添加。',
  targetsFailed: (why) => `无法读取通知目标：${why}`,
  targetStates: { ok: '正常', failing: '失败中', disabled: '已停用' },
  backlog: '积压',
  lastSuccess: '最近成功',
  lastError: '最近错误',
  sentCount: '已发送',
  failedAttempts: '失败次数',
  givenUp: '已放弃',
  test: '测试',
  testing: '正在测试…',
  testDelivered: (ms) => `测试已送达，用时 ${ms} 毫秒`,
  testFailed: (why) => `测试失败：${why}`,

  silences: '静默',
  noSilences: '没有生效的静默。',
  silencesFailed: (why) => `无法读取静默：${why}`,
  ends: '结束于',
  createdBy: '创建者',
  comment: '备注',
  deleteSilence: '删除',
  deleting: '正在删除…',
  deleteFailed: (why) => `无法删除：${why}`,

  alertHistory: '告警历史',
  noHistory: '还没有告警。',
  loadOlder: '加载更早的',
  loading: '正在加载…',
  alertHistoryFailed: (why) => `无法读取告警历史：${why}`,
  statusActive: '活动',
  statusResolved: '已解决',
  resolvedBy: (who) => `由 ${who} 解决`,
  targetAlertGone: (id) => `告警 ${id} 不在显示的历史中。`,

  components: '组件',
  qbittorrent: 'qBittorrent',
  clipboardMonitor: '剪贴板监控',
  noStatusYet: '尚无状态',
  statusWords: {
    running: '运行中',
    connected: '已连接',
    connecting: '连接中',
    disconnected: '已断开',
    auth_failed: '登录失败',
    unavailable: '不可用',
    not_configured: '未配置',
    stopped: '已停止',
    disabled: '已停用',
  },
  updated: '更新于',
  setup: '设置',
  setupQbittorrent: '在配置中设置 qbittorrent.url 以连接 qBittorrent 的 WebUI。',
  why: '原因',
  version: '版本',
  unknown: '未知',
  webUi: 'WebUI',
  lastActivity: '最近活动',
  statusSince: '状态开始于',
  error: '错误',
  nextRetry: '下次重试',
  atTime: (time) => `${time}`,
  linksProcessed: '已处理链接',
  added: '已添加',
  failed: '失败',
  duplicatesSkipped: '跳过的重复项',
  lastCheck: '最近检查',
  never: '从未',
  lastAdded: '最近添加',
  lastFailure: '最近失败',

  recentAdds: '最近添加',
  pendingLinks: (n) => `待添加（${n}）`,
  failures: '失败',
  perRule: '按规则统计',
  rule: '规则',
  byRule: (rule) => `规则“${rule}”`,
  noRule: '无匹配规则：使用默认设置',
  otherLinks: '（无规则）',
  noCategory: '无分类',
  defaultSavePath: 'qBittorrent 的保存路径',
  pausedWord: '已暂停',
  linkKinds: { magnet: '磁力链接', torrent_url: '.torrent 链接', torrent_file: '.torrent 文件', info_hash: '信息哈希' },
  skippedCol: '已跳过',
  skippedByRules: '被规则跳过',
  attempts: (n) => `已尝试 ${n} 次`,
  nextTry: (time) => `下次 ${time}`,
  detection: {
    xfixes: '监听 X11 剪贴板变化',
    'wl-paste': '监听 Wayland 剪贴板变化',
    polling: '轮询剪贴板',
  },

  activity: '动态',
  activityNote: '配置变更和服务事件',
  noActivity: '事件日志中还没有内容。',
  feedFailed: (why) => `无法加载之前的事件：${why}`,
  kindConfig: '配置',
  kindSystem: '系统',
  configRejected: (who) => `${who} 的配置变更被拒绝`,
  configUpdated: (who, fields) => `${who} 更新了配置：${fields} 个字段`,
  changedTo: ' 改为 ',
  unset: '（未设置）',
  serviceStarted: (pid) => `服务已启动（pid ${pid}）`,
  serviceRestarted: (pid) => `服务已重启（pid ${pid}）`,
  serviceStopping: '服务正在停止',
  reason: (why, ran) => `原因：${why}${ran}`,
  afterRunning: (time) => `，已运行 ${time}`,

  justNow: '刚刚',
  ago: (time) => `${time}前`,
  units: { d: '天', h: '小时', min: '分钟', s: '秒' },

  torrents: TORRENT_WORDS.zh,
};

const DICTIONARIES: Readonly<Record<Language, Words>> = { en, zh };

/** The first of the browser's languages the dashboard speaks (`zh-CN`, `zh-TW`, `zh` are Chinese; `en-*` English); English otherwise. */
export function browserLanguage(languages: readonly string[]): Language {
  for (const tag of languages) {
    const primary = tag.toLowerCase().split('-')[0];
    if (primary === 'zh' || primary === 'en') return primary;
  }
  return 'en';
}

function savedLanguage(): Language | undefined {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    return LANGUAGES.find((language) => language === saved);
  } catch {
    // localStorage disabled: the browser's language every time.
    return undefined;
  }
}

let current: Language = savedLanguage() ?? browserLanguage(navigator.languages ?? [navigator.language]);

export function language(): Language {
  return current;
}

/** The current language's words. */
export function t(): Words {
  return DICTIONARIES[current];
}

/** Switches the page's language and remembers the choice in this browser. */
export function chooseLanguage(chosen: Language): void {
  current = chosen;
  try {
    localStorage.setItem(STORAGE_KEY, chosen);
  } catch {
    // Not remembered: the browser's language next time.
  }
}

function word(key: string): string {
  const value = (t() as Record<string, unknown>)[key];
  if (typeof value !== 'string') throw new Error(`no dashboard text "${key}"`);
  return value;
}

/**
 * Writes the current language's words into the markup: `data-i18n="key"` sets the text,
 * `data-i18n-attr="aria-label:key title:key"` attributes; and the document's `lang`.
 */
export function translatePage(root: Document): void {
  root.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
  for (const element of root.querySelectorAll<HTMLElement>('[data-i18n]')) {
    const text = word(element.dataset.i18n ?? '');
    if (element.textContent !== text) element.textContent = text;
  }
  for (const element of root.querySelectorAll<HTMLElement>('[data-i18n-attr]')) {
    for (const pair of (element.dataset.i18nAttr ?? '').split(' ')) {
      const [attribute, key] = pair.split(':');
      if (attribute && key) element.setAttribute(attribute, word(key));
    }
  }
}
