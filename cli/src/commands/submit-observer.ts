/**
 * `kindling submit`'s observability flags → a DriverObserver (event log + live web UI):
 * --ui-port/--ui-host/--no-ui, --history-dir/--no-event-log, and the same as --conf keys
 * (ui.enabled, ui.port, ui.host, eventLog.enabled, eventLog.dir; a flag wins over a conf).
 * A bad value is a usage error (E_INVALID_VALUE naming the flag). Called by submit.ts only,
 * loaded lazily with the coordinator. THREADING: event loop.
 */
import { KindlingError } from '@kindling/shared/compute';
import { DriverObserver, type EventBus, type JobSpec } from '@kindling/coordinator';
import type { Logger } from 'pino';

/** The flags this module reads (a subset of SubmitOptions). */
export interface ObserverFlags {
  readonly uiPort?: string;
  readonly uiHost?: string;
  readonly ui?: boolean;
  readonly historyDir?: string;
  readonly eventLog?: boolean;
}

/** Starts the event log and the UI for a submit; undefined when both are off. */
export async function startObserver(o: {
  spec: JobSpec;
  master: string;
  conf: Record<string, string>;
  options: ObserverFlags;
  events: EventBus;
  logger: Logger;
}): Promise<DriverObserver | undefined> {
  const { conf, options } = o;
  const uiOn = options.ui !== false && bool(conf['ui.enabled'], '--conf ui.enabled', true);
  const logOn = options.eventLog !== false && bool(conf['eventLog.enabled'], '--conf eventLog.enabled', true);
  if (!uiOn && !logOn) return undefined;
  const portText = options.uiPort ?? conf['ui.port'];
  const port = portText === undefined ? undefined : parsePort(portText, options.uiPort !== undefined ? '--ui-port' : '--conf ui.port');
  const host = options.uiHost ?? conf['ui.host'];
  if (host !== undefined && !/^[A-Za-z0-9.:-]+$/.test(host)) {
    throw new KindlingError('E_INVALID_VALUE', `--ui-host "${host}": expected an IP address or host name, e.g. 127.0.0.1 or 0.0.0.0`, {
      flag: '--ui-host',
      value: host,
    });
  }
  const historyDir = options.historyDir ?? conf['eventLog.dir'];
  return DriverObserver.start({
    events: o.events,
    logger: o.logger,
    header: { name: o.spec.name, spec: o.spec, master: o.master, conf },
    historyDir: logOn ? historyDir : false,
    ui: uiOn ? { ...(port !== undefined && { port }), ...(host !== undefined && { host }) } : false,
  });
}

function parsePort(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) {
    throw new KindlingError('E_INVALID_VALUE', `${flag} "${text}": expected a port number from 0 to 65535`, { flag, value: text });
  }
  return Number(text);
}

function bool(text: string | undefined, flag: string, dflt: boolean): boolean {
  if (text === undefined) return dflt;
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new KindlingError('E_INVALID_VALUE', `${flag}=${text}: expected true or false`, { flag, value: text });
}
