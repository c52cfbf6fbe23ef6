import { checkService, type Finding } from './check-service.js';
import { ConfigError, ConfigIssue, type ConfigIssueCode } from './errors.js';
import { findOption, type OptionSpec } from './options.js';
import { defaultServicePorts } from './service-ports.js';
import { resolveSni, type SniLine } from './sni.js';
import type { Config, DebugLevel, GlobalOptions, Location, ServiceConfig } from './types.js';
import { InvalidValue, quote, type ValueContext } from './values.js';

/** How `parseConfig` reads the text and the files `include` names. */
export interface ParseOptions {
  /** Name of the file the text came from, used in every error and in `locations`. */
  file: string;
  /** Read an included file (used only for `include`). Throw if it cannot be read. */
  readFile?: ((path: string) => string) | undefined;
  /**
   * List the names (not paths) of the regular files in an `include` directory; subdirectories and other non-files
   * must be left out (stunnel skips them). Throw if the directory cannot be read. Order does not matter: the parser
   * sorts the names itself.
   */
  readDir?: ((path: string) => string[]) | undefined;
  /** TCP service names for ports (`connect = imaps`); defaults to a built-in table of common names. */
  servicePorts?: ReadonlyMap<string, number> | undefined;
}

/** Bounds that keep a hostile or broken configuration from exhausting memory or time. */
export const parseLimits = {
  /** Characters in one file. */
  fileChars: 4 * 1024 * 1024,
  /** Characters on one line (stunnel's own line buffer is 16 KiB). */
  lineChars: 16 * 1024,
  /** Files read through `include`. */
  includedFiles: 1000,
  /** Nesting of `include`. */
  includeDepth: 16,
  /** Problems collected before giving up. */
  issues: 500,
} as const;

interface Entry {
  spec: OptionSpec;
  value: unknown;
  raw: string;
  location: Location;
}

interface Section {
  name: string;
  location: Location;
  entries: Entry[];
}

class TooManyIssues extends Error {}

/** Whitespace as C's isspace() sees it: stunnel trims names and values with it. */
function trimC(text: string): string {
  return text.replace(/^[ \t\r\n\v\f]+|[ \t\r\n\v\f]+$/g, '');
}

function joinPath(directory: string, name: string): string {
  return directory.endsWith('/') ? `${directory}${name}` : `${directory}/${name}`;
}

function normalizeDir(directory: string): string {
  return directory.replace(/\/+$/, '') || '/';
}

/** Sort names in ascending byte order, as scandir(3) with alphasort does in the C locale. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Parse the text of a stunnel configuration file into a typed, validated Config (pure: the only I/O is through
 * `readFile`/`readDir`, for `include`). Every problem in the text is collected; if there is any, a ConfigError listing
 * all of them is thrown.
 */
export function parseConfig(text: string, options: ParseOptions): Config {
  return new ConfigReader(options).run(text);
}

class ConfigReader {
  private readonly issues: ConfigIssue[] = [];
  private readonly files: string[] = [];
  private readonly globalEntries: Entry[] = [];
  private readonly sections: Section[] = [];
  private readonly includeStack: string[] = [];
  /** sni lines waiting for their section's final `client` value. */
  private readonly sniEntries = new Map<ServiceConfig, Entry[]>();
  private readonly values: ValueContext;
  /** Engines selected with `engine = ENGINE_ID` (not 'auto'), numbered from 1 for engineNum. */
  private engineCount = 0;
  /** Sections (by index; -1 = global) where a line was refused: their services skip the semantic checks. */
  private readonly sectionsWithIssues = new Set<number>();
  /** Reading order of every line read ("file:line" → sequence), to sort issues found later by where they point. */
  private readonly lineOrder = new Map<string, number>();

  constructor(private readonly options: ParseOptions) {
    this.values = { servicePorts: options.servicePorts ?? defaultServicePorts };
  }

  /**
   * Read everything, then build and check. Semantic checks (endpoints, cert, verify, ...) are skipped for a service
   * whose section (or the global section) had a refused line: they would only repeat that problem in other words.
   */
  run(text: string): Config {
    let config: Config | undefined;
    try {
      this.readText(text, this.options.file);
      config = this.build();
    } catch (error) {
      if (!(error instanceof TooManyIssues)) throw error;
    }
    if (this.issues.length > 0 || config === undefined) {
      const order = (issue: ConfigIssue): number => this.lineOrder.get(`${issue.file}:${issue.line}`) ?? Number.MAX_SAFE_INTEGER;
      throw new ConfigError(
        this.issues
          .map((issue, index) => ({ issue, index }))
          .sort((a, b) => order(a.issue) - order(b.issue) || a.index - b.index)
          .map(({ issue }) => issue),
      );
    }
    return config;
  }

  private report(code: ConfigIssueCode, location: Location, option: string | undefined, message: string): void {
    if (this.issues.length >= parseLimits.issues) {
      this.issues.push(new ConfigIssue({ code: 'ERR_TUNNEL_CONFIG_TOO_LARGE', ...location, message: 'too many problems; stopped here' }));
      throw new TooManyIssues();
    }
    this.issues.push(new ConfigIssue({ code, ...location, option, message }));
  }

  /** Report a refused line, and remember its section so that its service skips the checks a refused line would confuse. */
  private refuse(code: ConfigIssueCode, location: Location, option: string | undefined, message: string): void {
    this.sectionsWithIssues.add(this.sections.length - 1);
    this.report(code, location, option, message);
  }

  private reportAll(findings: readonly Finding[]): void {
    for (const finding of findings) this.report(finding.code, finding.location, finding.option, finding.message);
  }

  /** The sni lines of a service, waiting for its final `client` value. */
  private takeSni(service: ServiceConfig): SniLine[] {
    const lines = this.sniEntries.get(service) ?? [];
    this.sniEntries.delete(service);
    return lines.map((entry) => ({ raw: entry.raw, location: entry.location }));
  }

  private readText(text: string, file: string): void {
    this.files.push(file);
    if (text.length > parseLimits.fileChars) {
      this.report('ERR_TUNNEL_CONFIG_TOO_LARGE', { file, line: 1 }, undefined, `file is larger than ${parseLimits.fileChars} characters`);
      throw new TooManyIssues();
    }
    // A UTF-8 byte order mark at the start of the file is skipped, as stunnel does.
    const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
    const lines = body.split('\n');
    for (let index = 0; index < lines.length; index++) {
      this.readLine(lines[index] as string, { file, line: index + 1 });
    }
  }

  private readLine(rawLine: string, location: Location): void {
    this.lineOrder.set(`${location.file}:${location.line}`, this.lineOrder.size);
    if (rawLine.length > parseLimits.lineChars) {
      this.refuse('ERR_TUNNEL_CONFIG_TOO_LARGE', location, undefined, `line is longer than ${parseLimits.lineChars} characters`);
      return;
    }
    const line = trimC(rawLine);
    // Spec: empty lines and lines starting with ';' are ignored; stunnel 5.68 also ignores lines starting with '#'.
    if (line === '' || line.startsWith(';') || line.startsWith('#')) return;
    if (line.startsWith('[') && line.endsWith(']')) {
      this.sections.push({ name: trimC(line.slice(1, -1)), location, entries: [] });
      return;
    }
    const equals = line.indexOf('=');
    if (equals === -1) {
      this.refuse('ERR_TUNNEL_CONFIG_SYNTAX', location, undefined, `no '=' found in ${quote(line)}`);
      return;
    }
    const name = trimC(line.slice(0, equals));
    const raw = trimC(line.slice(equals + 1));
    if (name === '') {
      this.refuse('ERR_TUNNEL_CONFIG_UNKNOWN_OPTION', location, undefined, 'missing option name before "="');
      return;
    }
    const spec = findOption(name) ?? protocolExtension(name);
    if (spec === undefined) {
      this.refuse('ERR_TUNNEL_CONFIG_UNKNOWN_OPTION', location, name.length > 80 ? `${name.slice(0, 77)}...` : name, 'unknown option');
      return;
    }
    if (spec.platform === 'win32') {
      this.refuse('ERR_TUNNEL_CONFIG_WIN32_ONLY', location, spec.name, `${spec.name} is Windows-only and not supported on this platform`);
      return;
    }
    const section = this.sections.at(-1);
    if (section !== undefined && spec.scope === 'global') {
      this.refuse('ERR_TUNNEL_CONFIG_WRONG_SECTION', location, spec.name, 'is a global option and cannot be set in a [service] section');
      return;
    }
    if (raw === '' && !spec.allowEmpty) {
      this.refuse('ERR_TUNNEL_CONFIG_MISSING_VALUE', location, spec.name, 'needs a value');
      return;
    }
    if (spec.name === 'include') {
      this.include(raw, location);
      return;
    }
    let value: unknown = raw;
    try {
      value = spec.parse === undefined ? raw : spec.parse(raw, { ...this.values, section: section === undefined ? 'global' : 'service' });
    } catch (error) {
      if (!(error instanceof InvalidValue)) throw error;
      this.refuse('ERR_TUNNEL_CONFIG_INVALID_VALUE', location, spec.name, error.message);
      return;
    }
    if (spec === PROTOCOL_EXTENSION) value = { key: name.slice('protocol'.length).toLowerCase(), name, value: raw };
    (section?.entries ?? this.globalEntries).push({ spec, value, raw, location });
  }

  /** `include = DIRECTORY`: every regular file of the directory, in ascending byte order of names, read in place. */
  private include(directory: string, location: Location): void {
    const { readDir, readFile } = this.options;
    const key = normalizeDir(directory);
    if (this.includeStack.includes(key)) {
      this.refuse('ERR_TUNNEL_CONFIG_INCLUDE_LOOP', location, 'include', `${quote(directory)} is already being included`);
      return;
    }
    if (this.includeStack.length >= parseLimits.includeDepth) {
      this.refuse('ERR_TUNNEL_CONFIG_TOO_LARGE', location, 'include', `includes nested deeper than ${parseLimits.includeDepth}`);
      return;
    }
    if (readDir === undefined || readFile === undefined) {
      this.refuse(
        'ERR_TUNNEL_CONFIG_INCLUDE_UNREADABLE',
        location,
        'include',
        'cannot read "include" directories here (no readDir/readFile given)',
      );
      return;
    }
    let names: string[];
    try {
      names = [...readDir(directory)].sort(byteOrder);
    } catch (error) {
      this.refuse(
        'ERR_TUNNEL_CONFIG_INCLUDE_UNREADABLE',
        location,
        'include',
        `cannot read directory ${quote(directory)}: ${describe(error)}`,
      );
      return;
    }
    this.includeStack.push(key);
    try {
      for (const name of names) {
        const path = joinPath(directory, name);
        if (this.files.length >= parseLimits.includedFiles) {
          this.refuse('ERR_TUNNEL_CONFIG_TOO_LARGE', location, 'include', `more than ${parseLimits.includedFiles} files`);
          return;
        }
        let text: string;
        try {
          text = readFile(path);
        } catch (error) {
          // stunnel reads only the regular files of the directory; a readDir that also lists subdirectories is tolerated.
          if ((error as { code?: unknown }).code === 'EISDIR') continue;
          this.refuse('ERR_TUNNEL_CONFIG_INCLUDE_UNREADABLE', location, 'include', `cannot read ${quote(path)}: ${describe(error)}`);
          continue;
        }
        this.readText(text, path);
      }
    } finally {
      this.includeStack.pop();
    }
  }

  private build(): Config {
    const globals = this.buildGlobals();
    const defaults = this.globalEntries.filter(
      (entry) => entry.spec.scope === 'service' || (entry.spec.scope === 'both' && entry.spec.inherits),
    );
    const inetd = this.sections.length === 0;
    const services: ServiceConfig[] = [];
    if (inetd) {
      for (const entry of defaults) {
        if (entry.spec.name === 'accept') {
          this.report('ERR_TUNNEL_CONFIG_WRONG_SECTION', entry.location, 'accept', 'is only allowed in a [service] section (inetd mode)');
          this.sectionsWithIssues.add(-1);
        }
      }
      const service = this.buildService('inetd', { file: this.options.file, line: 1 }, defaults, globals.debug);
      this.reportAll(resolveSni(service, this.takeSni(service), []));
      if (!this.sectionsWithIssues.has(-1)) this.reportAll(checkService(service, { inetd: true, engineCount: this.engineCount }));
      services.push(service);
    } else {
      for (const [index, section] of this.sections.entries()) {
        const service = this.buildService(section.name, section.location, [...defaults, ...section.entries], globals.debug);
        this.reportAll(resolveSni(service, this.takeSni(service), services));
        if (!this.sectionsWithIssues.has(-1) && !this.sectionsWithIssues.has(index)) {
          this.reportAll(checkService(service, { inetd: false, engineCount: this.engineCount }));
        }
        services.push(service);
      }
    }
    return { globals, services, inetd, files: this.files };
  }

  private buildGlobals(): GlobalOptions {
    const globals: GlobalOptions = {
      locations: {},
      debug: { facility: 'daemon', level: 5 },
      engineCtrl: [],
      provider: [],
      providerParameter: [],
      fips: false,
      foreground: false,
      log: 'append',
      RNDoverwrite: true,
      service: 'stunnel',
      socket: [],
      syslog: true,
    };
    const target = globals as unknown as Record<string, unknown>;
    for (const entry of this.globalEntries) {
      const { spec } = entry;
      if (spec.scope === 'service') continue;
      // engineCtrl/engineDefault act on the engine selected before them; 'auto' selects no particular engine.
      if (
        (spec.name === 'engineCtrl' || spec.name === 'engineDefault') &&
        (globals.engine === undefined || globals.engine.toLowerCase() === 'auto')
      ) {
        this.report('ERR_TUNNEL_CONFIG_INVALID_VALUE', entry.location, spec.name, 'no engine was selected before it (engine = ENGINE_ID)');
        continue;
      }
      globals.locations[spec.name] = entry.location;
      if (spec.name === 'engine' && String(entry.value).toLowerCase() !== 'auto') this.engineCount += 1;
      if (spec.repeatable) (target[spec.name] as unknown[]).push(entry.value);
      else target[spec.name] = entry.value;
    }
    return globals;
  }

  private buildService(name: string, location: Location, entries: Entry[], debug: DebugLevel): ServiceConfig {
    const service: ServiceConfig = {
      name,
      location,
      locations: {},
      accept: [],
      allowPeer: [],
      CAengine: [],
      CAstore: [],
      denyPeer: [],
      checkEmail: [],
      checkHost: [],
      checkIP: [],
      client: false,
      config: [],
      configLocations: [],
      connectALPN: [],
      connect: [],
      debug,
      delay: false,
      failover: 'rr',
      libwrap: false,
      logId: 'sequential',
      OCSPaia: false,
      OCSPflag: [],
      OCSPnonce: false,
      OCSPrequire: true,
      options: [],
      protocolExtra: {},
      protocolHeader: [],
      pty: false,
      redirect: [],
      renegotiation: true,
      requireCert: false,
      reset: true,
      retry: false,
      setEnv: [],
      sessionCacheSize: 1000,
      sessionCacheTimeout: 300,
      sessionResume: true,
      socket: [],
      TIMEOUTbusy: 300,
      TIMEOUTclose: 60,
      TIMEOUTconnect: 10,
      TIMEOUTidle: 43200,
      transparent: 'none',
      verifyChain: false,
      verifyPeer: false,
    };
    const target = service as unknown as Record<string, unknown>;
    const sni: Entry[] = [];
    for (const entry of entries) {
      const { spec } = entry;
      service.locations[spec.name] = entry.location;
      if (spec.name === 'config') service.configLocations.push(entry.location);
      if (spec === PROTOCOL_EXTENSION) {
        const extension = entry.value as { key: string; name: string; value: string };
        delete service.locations[spec.name];
        service.locations[extension.name] = entry.location;
        service.protocolExtra[extension.key] = extension.value;
      } else if (spec.name === 'sni') sni.push(entry);
      // The syslog facility is global (spec "debug = [FACILITY.]LEVEL" in GLOBAL OPTIONS); a service sets only its level.
      else if (spec.name === 'debug') service.debug = { facility: debug.facility, level: (entry.value as DebugLevel).level };
      else if (spec.repeatable) (target[spec.name] as unknown[]).push(entry.value);
      else target[spec.name] = entry.value;
    }
    this.sniEntries.set(service, sni);
    return service;
  }
}

function describe(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (typeof code === 'string') return code;
    if (typeof message === 'string') return message;
  }
  return String(error);
}

/**
 * A `protocolX = value` line that is not a stunnel option: an extension
 * setting for the service's protocol plugin (e.g. `protocolAllowLoopback`),
 * kept as text in `protocolExtra` under `x` in lower case. Whether the plugin
 * reads it is checked where protocols are resolved (the CLI refuses a setting
 * no plugin reads).
 */
const PROTOCOL_EXTENSION: OptionSpec = {
  name: 'protocolExtra',
  aliases: [],
  scope: 'service',
  inherits: true,
  syntax: 'TEXT',
  repeatable: false,
  default: undefined,
  description: 'protocol plugin extension setting',
  since: '5.28',
  platform: 'all',
  allowEmpty: true,
  parse: undefined,
};

function protocolExtension(name: string): OptionSpec | undefined {
  return /^protocol[A-Za-z0-9]+$/.test(name) ? PROTOCOL_EXTENSION : undefined;
}
