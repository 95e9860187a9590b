/** The Torrents panel's words in English and Chinese: `torrents` of the dashboard's dictionaries (i18n.ts). */
import type { TorrentStateGroup } from '../client/index.js';

export interface TorrentTexts {
  title: string;
  groups: Readonly<Record<'all' | TorrentStateGroup, string>>;
  /** qBittorrent's state names (4.x and 5.x) as its own WebUI words them. */
  states: Readonly<Record<string, string>>;
  columns: {
    name: string;
    size: string;
    progress: string;
    state: string;
    dl_speed: string;
    up_speed: string;
    eta: string;
    ratio: string;
    category: string;
    actions: string;
  };
  allCategories: string;
  noCategory: string;
  search: string;
  showing: (shown: string, total: string) => string;
  waiting: string;
  none: string;
  /** The table is empty because the service does not reach qBittorrent. */
  notConnected: string;
  noMatch: string;
  add: { label: string; placeholder: string; button: string; adding: string; readOnly: string };
  added: (names: string) => string;
  duplicate: (names: string) => string;
  addFailed: (reason: string) => string;
  actions: { stop: string; start: string; pause: string; resume: string; recheck: string; delete: string };
  actionFailed: (action: string, name: string, reason: string) => string;
  confirm: { title: (name: string) => string; withFiles: string; cancel: string; delete: string };
  transfer: { title: string; down: string; up: string; session: string; free: string; chart: string };
  completed: { title: string; none: string };
  eta: { unknown: string; done: string };
}

const en: TorrentTexts = {
  title: 'Torrents',
  groups: {
    all: 'All',
    downloading: 'Downloading',
    seeding: 'Seeding',
    stopped: 'Stopped',
    stalled: 'Stalled',
    errored: 'Errored',
    checking: 'Checking',
    queued: 'Queued',
    other: 'Other',
  },
  states: {
    downloading: 'Downloading',
    forcedDL: 'Downloading (forced)',
    metaDL: 'Fetching metadata',
    forcedMetaDL: 'Fetching metadata (forced)',
    allocating: 'Allocating',
    uploading: 'Seeding',
    forcedUP: 'Seeding (forced)',
    stalledUP: 'Seeding',
    pausedDL: 'Paused',
    pausedUP: 'Paused',
    stoppedDL: 'Stopped',
    stoppedUP: 'Stopped',
    stalledDL: 'Stalled',
    error: 'Errored',
    missingFiles: 'Missing files',
    checkingDL: 'Checking',
    checkingUP: 'Checking',
    checkingResumeData: 'Checking resume data',
    queuedDL: 'Queued',
    queuedUP: 'Queued',
    moving: 'Moving',
    unknown: 'Unknown',
  },
  columns: {
    name: 'Name',
    size: 'Size',
    progress: 'Progress',
    state: 'State',
    dl_speed: 'Down',
    up_speed: 'Up',
    eta: 'ETA',
    ratio: 'Ratio',
    category: 'Category',
    actions: 'Actions',
  },
  allCategories: 'All categories',
  noCategory: '(none)',
  search: 'Search by name',
  showing: (shown, total) => `${shown} of ${total}`,
  waiting: 'Waiting for qBittorrent’s torrent list…',
  none: 'qBittorrent has no torrents.',
  notConnected: 'Not connected to qBittorrent: see Components.',
  noMatch: 'No torrent matches.',
  add: {
    label: 'Add a magnet link or .torrent URL',
    placeholder: 'magnet:?xt=urn:btih:… or https://…/file.torrent',
    button: 'Add',
    adding: 'Adding…',
    readOnly: 'A read-only key can watch but not add or change torrents.',
  },
  added: (names) => `Added: ${names}`,
  duplicate: (names) => `Already in qBittorrent: ${names}`,
  addFailed: (reason) => `Not added: ${reason}`,
  actions: { stop: 'Stop', start: 'Start', pause: 'Pause', resume: 'Resume', recheck: 'Recheck', delete: 'Delete' },
  actionFailed: (action, name, reason) => `${action} “${name}” failed: ${reason}`,
  confirm: {
    title: (name) => `Delete “${name}” from qBittorrent?`,
    withFiles: 'Also delete the downloaded files',
    cancel: 'Cancel',
    delete: 'Delete',
  },
  transfer: {
    title: 'Transfer',
    down: 'Down',
    up: 'Up',
    session: 'This session',
    free: 'Free space',
    chart: 'qBittorrent’s download and upload speed',
  },
  completed: { title: 'Recently completed', none: 'No completed torrent yet.' },
  eta: { unknown: '∞', done: '–' },
};

const zh: TorrentTexts = {
  title: '种子',
  groups: {
    all: '全部',
    downloading: '下载中',
    seeding: '做种中',
    stopped: '已停止',
    stalled: '停滞',
    errored: '出错',
    checking: '校验中',
    queued: '排队中',
    other: '其他',
  },
  states: {
    downloading: '下载中',
    forcedDL: '强制下载',
    metaDL: '获取元数据',
    forcedMetaDL: '强制获取元数据',
    allocating: '分配空间',
    uploading: '做种中',
    forcedUP: '强制做种',
    stalledUP: '做种中',
    pausedDL: '已暂停',
    pausedUP: '已暂停',
    stoppedDL: '已停止',
    stoppedUP: '已停止',
    stalledDL: '停滞',
    error: '出错',
    missingFiles: '文件丢失',
    checkingDL: '校验中',
    checkingUP: '校验中',
    checkingResumeData: '校验恢复数据',
    queuedDL: '排队中',
    queuedUP: '排队中',
    moving: '移动中',
    unknown: '未知',
  },
  columns: {
    name: '名称',
    size: '大小',
    progress: '进度',
    state: '状态',
    dl_speed: '下载',
    up_speed: '上传',
    eta: '剩余时间',
    ratio: '分享率',
    category: '分类',
    actions: '操作',
  },
  allCategories: '全部分类',
  noCategory: '（无分类）',
  search: '按名称搜索',
  showing: (shown, total) => `${shown} / ${total}`,
  waiting: '正在等待 qBittorrent 的种子列表…',
  none: 'qBittorrent 中没有种子。',
  notConnected: '未连接到 qBittorrent：请查看“组件”。',
  noMatch: '没有匹配的种子。',
  add: {
    label: '添加磁力链接或 .torrent 网址',
    placeholder: 'magnet:?xt=urn:btih:… 或 https://…/file.torrent',
    button: '添加',
    adding: '正在添加…',
    readOnly: '只读密钥只能查看，不能添加或更改种子。',
  },
  added: (names) => `已添加：${names}`,
  duplicate: (names) => `已在 qBittorrent 中：${names}`,
  addFailed: (reason) => `未添加：${reason}`,
  actions: { stop: '停止', start: '开始', pause: '暂停', resume: '继续', recheck: '重新校验', delete: '删除' },
  actionFailed: (action, name, reason) => `${action}“${name}”失败：${reason}`,
  confirm: {
    title: (name) => `从 qBittorrent 删除“${name}”？`,
    withFiles: '同时删除已下载的文件',
    cancel: '取消',
    delete: '删除',
  },
  transfer: { title: '传输', down: '下载', up: '上传', session: '本次会话', free: '剩余空间', chart: 'qBittorrent 的下载和上传速度' },
  completed: { title: '最近完成', none: '还没有完成的种子。' },
  eta: { unknown: '∞', done: '–' },
};

export const TORRENT_WORDS: Readonly<Record<'en' | 'zh', TorrentTexts>> = { en, zh };
