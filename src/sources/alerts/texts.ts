/** What alerts say, in Chinese (the API document's language, the default) and in English (`locale: "en"`). */
import type { Config } from '../../config/schema.js';

export type Locale = Config['locale'];

export interface AlertTexts {
  title: string;
  message: string;
  suggestion: string;
}

export interface ThresholdFacts {
  type: string;
  metric: string;
  comparison: string;
  value: number;
  threshold: number;
  unit: string;
}

export interface QbittorrentFacts {
  status: string;
  seconds: number;
  /** host:port of the WebUI, when the status event named it. */
  address?: string;
}

export interface TorrentFacts {
  name: string;
  state: string;
}

export interface Phrasebook {
  threshold(facts: ThresholdFacts): AlertTexts;
  /** The resolution of a threshold alert whose value recovered. */
  recovered(facts: Pick<ThresholdFacts, 'metric' | 'value' | 'unit'>): string;
  qbittorrentUnreachable(facts: QbittorrentFacts): AlertTexts;
  qbittorrentReconnected: string;
  /** The resolution when an admin gives none. */
  resolvedByAdmin: string;
  ruleRemoved: string;
  torrentErrored(facts: TorrentFacts): AlertTexts;
  torrentStalled(facts: TorrentFacts & { seconds: number }): AlertTexts;
  /** The resolution of a torrent alert whose torrent is neither errored nor stalled any more. */
  torrentRecovered(facts: TorrentFacts): string;
  torrentRemoved(facts: Pick<TorrentFacts, 'name'>): string;
  freeSpaceLow(facts: { free: number; threshold: number }): AlertTexts;
  freeSpaceRecovered(facts: { free: number }): string;
}

/** Bytes as GiB with one decimal (what qBittorrent shows). */
function gib(bytes: number): string {
  return `${Math.round((bytes / 1024 ** 3) * 10) / 10} GiB`;
}

/** The spec's own texts name CPU, memory and disk; other metrics get texts naming the metric. */
type Resource = 'cpu' | 'memory' | 'disk';
const RESOURCE_METRICS: Readonly<Record<Resource, string>> = { cpu: 'cpu_percent', memory: 'memory_percent', disk: 'disk_usage_percent' };

/** The resource an alert is about, when it is the standard rule: that metric, too high. */
function resourceOf({ type, metric, comparison }: Pick<ThresholdFacts, 'type' | 'metric' | 'comparison'>): Resource | undefined {
  const resource = type as Resource;
  return RESOURCE_METRICS[resource] === metric && comparison.startsWith('>') ? resource : undefined;
}

/** Percentages as whole numbers ("85%", as in the spec's example); other values to two decimals, with their unit. */
function formatValue(value: number, unit: string): string {
  if (unit === '%') return `${Math.round(value)}%`;
  const rounded = Math.round(value * 100) / 100;
  return unit === '' ? `${rounded}` : `${rounded} ${unit}`;
}

const zh: Phrasebook = {
  threshold(facts) {
    const value = formatValue(facts.value, facts.unit);
    switch (resourceOf(facts)) {
      case 'cpu':
        return { title: 'CPU使用率过高', message: `CPU使用率达到 ${value}，建议检查进程`, suggestion: '检查高CPU使用率进程' };
      case 'memory':
        return {
          title: '内存使用率过高',
          message: `内存使用率达到 ${value}，建议检查占用内存较多的进程`,
          suggestion: '检查高内存使用率进程，关闭不需要的程序',
        };
      case 'disk':
        return {
          title: '磁盘使用率过高',
          message: `磁盘使用率达到 ${value}，建议清理磁盘空间`,
          suggestion: '清理下载目录，或将已完成的下载移到其他磁盘',
        };
      default: {
        const past = facts.comparison.startsWith('>') ? '超过' : '低于';
        return {
          title: `${facts.metric} ${past}阈值`,
          message: `${facts.metric} 当前为 ${value}，${past}阈值 ${formatValue(facts.threshold, facts.unit)}`,
          suggestion: `检查上报 ${facts.metric} 指标的程序或服务`,
        };
      }
    }
  },
  recovered(facts) {
    const label = ({ cpu_percent: 'CPU使用率', memory_percent: '内存使用率', disk_usage_percent: '磁盘使用率' } as Record<string, string>)[
      facts.metric
    ];
    return `${label ?? `${facts.metric} `}已恢复至 ${formatValue(facts.value, facts.unit)}`;
  },
  qbittorrentUnreachable({ status, seconds, address }) {
    return {
      title: 'qBittorrent 无法连接',
      message: `qBittorrent WebUI${address ? `（${address}）` : ''}已 ${seconds} 秒无法连接（状态：${status}）`,
      suggestion:
        status === 'auth_failed'
          ? '检查 qbittorrent.username、qbittorrent.password 或 qbittorrent.api_key 是否正确'
          : '确认 qBittorrent 正在运行并已启用 WebUI，并检查 qbittorrent.url',
    };
  },
  qbittorrentReconnected: '已重新连接到 qBittorrent',
  resolvedByAdmin: '管理员已手动解决',
  ruleRemoved: '告警规则已从配置中移除',
  torrentErrored({ name, state }) {
    return {
      title: '种子出错',
      message: `种子「${name}」出错（状态：${state}）`,
      suggestion:
        state === 'missingFiles'
          ? '文件已丢失：确认保存路径所在的磁盘已挂载，然后在 qBittorrent 中重新校验'
          : '检查保存路径是否存在且可写、磁盘是否已满，然后在 qBittorrent 中重新开始',
    };
  },
  torrentStalled({ name, seconds }) {
    return {
      title: '种子下载停滞',
      message: `种子「${name}」已 ${Math.round(seconds / 60)} 分钟没有下载进度`,
      suggestion: '检查种子的 Tracker 状态和做种人数，或稍后重试',
    };
  },
  torrentRecovered: ({ name, state }) => `种子「${name}」已恢复（状态：${state}）`,
  torrentRemoved: ({ name }) => `种子「${name}」已从 qBittorrent 中删除`,
  freeSpaceLow({ free, threshold }) {
    return {
      title: 'qBittorrent 下载磁盘空间不足',
      message: `qBittorrent 默认保存路径所在磁盘仅剩 ${gib(free)}，低于 ${gib(threshold)}`,
      suggestion: '清理下载目录，或将已完成的下载移到其他磁盘',
    };
  },
  freeSpaceRecovered: ({ free }) => `qBittorrent 下载磁盘剩余空间已恢复至 ${gib(free)}`,
};

const en: Phrasebook = {
  threshold(facts) {
    const value = formatValue(facts.value, facts.unit);
    switch (resourceOf(facts)) {
      case 'cpu':
        return {
          title: 'High CPU usage',
          message: `CPU usage reached ${value}; check the busiest processes`,
          suggestion: 'Check the processes using the most CPU',
        };
      case 'memory':
        return {
          title: 'High memory usage',
          message: `Memory usage reached ${value}; check the processes using the most memory`,
          suggestion: 'Check the processes using the most memory and close what is not needed',
        };
      case 'disk':
        return {
          title: 'Disk almost full',
          message: `Disk usage reached ${value}; free some space`,
          suggestion: 'Clean up the download directory or move finished downloads to another disk',
        };
      default: {
        const past = facts.comparison.startsWith('>') ? 'above' : 'below';
        return {
          title: `${facts.metric} ${past} threshold`,
          message: `${facts.metric} is ${value}, ${past} the threshold of ${formatValue(facts.threshold, facts.unit)}`,
          suggestion: `Check the program or service that reports ${facts.metric}`,
        };
      }
    }
  },
  recovered(facts) {
    const label =
      ({ cpu_percent: 'CPU usage', memory_percent: 'Memory usage', disk_usage_percent: 'Disk usage' } as Record<string, string>)[
        facts.metric
      ] ?? facts.metric;
    return `${label} back to ${formatValue(facts.value, facts.unit)}`;
  },
  qbittorrentUnreachable({ status, seconds, address }) {
    return {
      title: 'qBittorrent unreachable',
      message: `qBittorrent's WebUI${address ? ` (${address})` : ''} has been unreachable for ${seconds} s (status: ${status})`,
      suggestion:
        status === 'auth_failed'
          ? 'Check qbittorrent.username and qbittorrent.password, or qbittorrent.api_key'
          : 'Make sure qBittorrent is running with its WebUI on, and check qbittorrent.url',
    };
  },
  qbittorrentReconnected: 'Reconnected to qBittorrent',
  resolvedByAdmin: 'Resolved by an administrator',
  ruleRemoved: 'The alert rule was removed from the config',
  torrentErrored({ name, state }) {
    return {
      title: 'Torrent errored',
      message: `The torrent "${name}" is in error (state: ${state})`,
      suggestion:
        state === 'missingFiles'
          ? 'Its files are gone: make sure the disk of its save path is mounted, then recheck it in qBittorrent'
          : 'Check that its save path exists and is writable and that the disk is not full, then start it again in qBittorrent',
    };
  },
  torrentStalled({ name, seconds }) {
    return {
      title: 'Torrent stalled',
      message: `The torrent "${name}" has made no progress for ${Math.round(seconds / 60)} min`,
      suggestion: 'Check its trackers and how many seeds it has, or try again later',
    };
  },
  torrentRecovered: ({ name, state }) => `The torrent "${name}" recovered (state: ${state})`,
  torrentRemoved: ({ name }) => `The torrent "${name}" was removed from qBittorrent`,
  freeSpaceLow({ free, threshold }) {
    return {
      title: 'Low disk space for qBittorrent',
      message: `The disk of qBittorrent's default save path has ${gib(free)} free, below ${gib(threshold)}`,
      suggestion: 'Clean up the download directory or move finished downloads to another disk',
    };
  },
  freeSpaceRecovered: ({ free }) => `Free space for qBittorrent is back to ${gib(free)}`,
};

export function phrasebook(locale: Locale): Phrasebook {
  return locale === 'en' ? en : zh;
}
