import { parseCommandArgs, table, UsageError, type CliCommand } from '../core/cli-kit.js';
import { detect } from './detect/index.js';
import { eventJson, FILE_USAGE, fileOptions, guarded, loadConfig, parseOptionsFrom, writeReport } from './cli-common.js';
import { isoUtc } from './model.js';
import { readSignalFile } from './signals/index.js';
import { eventsCommand, evaluateDbCommand, importCommand, linkCommand, reviewCommand, watchCommand } from './cli-db.js';

const detectCommand: CliCommand = {
  path: ['outages', 'detect'],
  summary: 'Find outages and throttling in a signal file (IODA, Radar, Monash or generic CSV)',
  usage: `stackwatch outages detect [--format ioda|radar|monash|csv] [--json] [options] <file>\n${FILE_USAGE}\n  --json               print {"events": [...]}`,
  async run(argv, { stdout, stderr }) {
    return guarded(stderr, async () => {
      const { values, positionals } = parseCommandArgs(argv, { ...fileOptions, json: { type: 'boolean' } });
      if (positionals.length !== 1) throw new UsageError('give exactly one signal file');
      const config = loadConfig(values.config);
      const parsed = readSignalFile(positionals[0]!, parseOptionsFrom(values));
      if (!parsed.series.length) throw new UsageError(`${positionals[0]} holds labelled events (${parsed.labels.length}), not signal series: use it with "outages evaluate --labels"`);
      const { events, warnings } = detect(parsed.series, config);
      const allWarnings = [...parsed.report.warnings, ...warnings];
      writeReport(stderr, parsed.report.notes, allWarnings);
      if (values.json) {
        stdout.write(JSON.stringify({ events: events.map(eventJson), notes: parsed.report.notes, warnings: allWarnings }) + '\n');
        return 0;
      }
      stdout.write(`${parsed.series.length} series (${parsed.format}), ${events.length} events\n`);
      if (events.length) {
        stdout.write(
          table(
            ['entity', 'scope', 'kind', 'start (UTC)', 'end (UTC)', 'depth', 'severity', 'confidence', 'signals'],
            events.flatMap((e) => [
              [
                e.entity + (e.members ? ` (${e.members.affected}/${e.members.total})` : ''),
                e.scope,
                e.kind,
                isoUtc(e.start),
                e.end === null ? 'ongoing' : isoUtc(e.end),
                e.depth.toFixed(2),
                e.severity.toFixed(1),
                e.confidence.toFixed(2),
                e.signals.join(','),
              ],
              // members of a national event whose own extent differs by an hour or more: their own start and end
              ...(e.memberEvents ?? [])
                .filter((m) => Math.abs((m.end ?? Infinity) - (e.end ?? Infinity)) >= 3600 || (m.end === null) !== (e.end === null))
                .map((m) => [`  └ ${m.entity}`, 'region', m.kind, isoUtc(m.start), m.end === null ? 'ongoing' : isoUtc(m.end), m.depth.toFixed(2), '', '', '']),
            ]),
          ),
        );
      }
      return 0;
    });
  },
};

/** Sub-commands of this wing, registered in src/cli.ts. */
export const commands: CliCommand[] = [detectCommand, evaluateDbCommand, importCommand, linkCommand, eventsCommand, reviewCommand, watchCommand];
