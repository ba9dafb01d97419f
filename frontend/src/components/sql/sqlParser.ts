/**
 * Metrics Insights query text → `sql` model, for the code → builder switch. Only what the builder can show is
 * read back: `SELECT FUNC(metric) FROM namespace | SCHEMA(namespace[, key...]) [WHERE key = | != 'value' [AND ...]]
 * [GROUP BY key[, ...]] [ORDER BY FUNC() [ASC | DESC]] [LIMIT n]` (AWS's grammar, "Metrics Insights query components
 * and syntax", less OR, parentheses and comments, which the builder has no place for). Anything else gives the
 * reason it cannot be shown, and the editor stays in code mode.
 *
 * Keywords and function names are case-insensitive (AWS); names keep their case. A name is bare (letters, digits,
 * `_`, `.`, or a dashboard variable `$name` / `${name}`) or double-quoted; values are single-quoted. Escapes inside
 * quotes are not read (the builder would not write them back the same way).
 */
import {
  COMPARISON_OPERATORS,
  QueryEditorExpression,
  SCHEMA,
  SQLExpression,
  STATISTICS,
  and,
  fn,
  groupBy,
  operator,
  property,
} from './expressions';

type Token =
  | { kind: 'word'; text: string } // bare name or keyword
  | { kind: 'name'; text: string } // "double-quoted" name
  | { kind: 'string'; text: string } // 'single-quoted' value
  | { kind: 'number'; text: string }
  | { kind: 'punct'; text: string }; // ( ) , = !=

export type ParseResult = { ok: true; sql: SQLExpression } | { ok: false; reason: string };

class Unsupported extends Error {}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && text[i + 1] === '-') {
      throw new Unsupported('comments (--)');
    } else if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end < 0) {
        throw new Unsupported(`an unclosed ${c} quote`);
      }
      const inner = text.slice(i + 1, end);
      if (inner.includes('\\')) {
        throw new Unsupported('escaped characters inside quotes');
      }
      tokens.push({ kind: c === '"' ? 'name' : 'string', text: inner });
      i = end + 1;
    } else if (c === '(' || c === ')' || c === ',' || c === '=') {
      tokens.push({ kind: 'punct', text: c });
      i++;
    } else if (c === '!' && text[i + 1] === '=') {
      tokens.push({ kind: 'punct', text: '!=' });
      i += 2;
    } else {
      const m = /^(\$\{[A-Za-z0-9_:.]+\}|\$[A-Za-z0-9_]+|[A-Za-z0-9_.]+)/.exec(text.slice(i));
      if (!m) {
        throw new Unsupported(`the character ${JSON.stringify(c)}`);
      }
      tokens.push({ kind: /^\d+$/.test(m[0]) ? 'number' : 'word', text: m[0] });
      i += m[0].length;
    }
  }
  return tokens;
}

const isVariable = (text: string) => text.startsWith('$');

class Reader {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  peek(): Token | undefined {
    return this.tokens[this.pos];
  }
  skip() {
    this.pos++;
  }
  done(): boolean {
    return this.pos >= this.tokens.length;
  }
  /** Consumes the keyword (any case) if it is next. */
  keyword(word: string): boolean {
    const t = this.peek();
    if (t?.kind === 'word' && t.text.toUpperCase() === word) {
      this.pos++;
      return true;
    }
    return false;
  }
  expectKeyword(word: string, where: string) {
    if (!this.keyword(word)) {
      throw new Unsupported(`${where} (expected ${word})`);
    }
  }
  punct(p: string): boolean {
    const t = this.peek();
    if (t?.kind === 'punct' && t.text === p) {
      this.pos++;
      return true;
    }
    return false;
  }
  expectPunct(p: string, where: string) {
    if (!this.punct(p)) {
      throw new Unsupported(`${where} (expected "${p}")`);
    }
  }
  /** A bare or double-quoted name. */
  name(what: string): string {
    const t = this.peek();
    if (t && (t.kind === 'word' || t.kind === 'name') && t.text) {
      this.pos++;
      return t.text;
    }
    throw new Unsupported(`${what} that is not a name`);
  }
  /** A statistic of the builder's list (returned upper-case) or a dashboard variable. */
  func(what: string): string {
    const t = this.peek();
    if (t?.kind === 'word' && (STATISTICS.includes(t.text.toUpperCase()) || isVariable(t.text))) {
      this.pos++;
      return isVariable(t.text) ? t.text : t.text.toUpperCase();
    }
    throw new Unsupported(`${what} ${t ? JSON.stringify(t.text) : '(missing)'}, not one of ${STATISTICS.join(', ')}`);
  }
}

export function parseSql(text: string): ParseResult {
  try {
    return { ok: true, sql: read(new Reader(tokenize(text))) };
  } catch (e) {
    if (e instanceof Unsupported) {
      return { ok: false, reason: e.message };
    }
    throw e;
  }
}

function read(r: Reader): SQLExpression {
  const sql: SQLExpression = {};
  r.expectKeyword('SELECT', 'the start');
  const stat = r.func('the function');
  r.expectPunct('(', 'after the function');
  const metric = r.name('a metric');
  r.expectPunct(')', 'after the metric name');
  sql.select = fn(stat, [metric]);

  r.expectKeyword('FROM', 'after SELECT');
  if (r.keyword(SCHEMA)) {
    r.expectPunct('(', 'after SCHEMA');
    const params = [r.name('a namespace')];
    while (r.punct(',')) {
      params.push(r.name('a schema key'));
    }
    r.expectPunct(')', 'after the SCHEMA keys');
    sql.from = fn(SCHEMA, params);
  } else {
    sql.from = property(r.name('a namespace'));
  }

  if (r.keyword('WHERE')) {
    const filters: QueryEditorExpression[] = [];
    do {
      const key = r.name('a filter key');
      const t = r.peek();
      if (t?.kind !== 'punct' || !COMPARISON_OPERATORS.includes(t.text)) {
        throw new Unsupported(`the filter on ${key} (only = and != are shown by the builder)`);
      }
      r.punct(t.text);
      const value = r.peek();
      if (value?.kind !== 'string') {
        throw new Unsupported(`the filter on ${key} (its value is not a 'quoted' text)`);
      }
      r.skip();
      filters.push(operator(key, t.text, value.text));
    } while (r.keyword('AND'));
    if (r.peek()?.kind === 'word' && r.peek()!.text.toUpperCase() === 'OR') {
      throw new Unsupported('OR between filters');
    }
    sql.where = and(filters);
  }

  if (r.keyword('GROUP')) {
    r.expectKeyword('BY', 'after GROUP');
    const keys = [r.name('a GROUP BY key')];
    while (r.punct(',')) {
      keys.push(r.name('a GROUP BY key'));
    }
    sql.groupBy = and(keys.map((k) => groupBy(k)));
  }

  if (r.keyword('ORDER')) {
    r.expectKeyword('BY', 'after ORDER');
    const stat = r.func('the ORDER BY function');
    r.expectPunct('(', 'after the ORDER BY function');
    r.expectPunct(')', 'ORDER BY FUNC() takes no argument');
    sql.orderBy = fn(stat);
    if (r.keyword('DESC')) {
      sql.orderByDirection = 'DESC';
    } else if (r.keyword('ASC')) {
      sql.orderByDirection = 'ASC';
    }
  }

  if (r.keyword('LIMIT')) {
    const t = r.peek();
    if (t?.kind !== 'number' || Number(t.text) < 1) {
      throw new Unsupported('a LIMIT that is not a positive whole number');
    }
    r.skip();
    sql.limit = Number(t.text);
  }

  if (!r.done()) {
    throw new Unsupported(`the text from ${JSON.stringify(r.peek()!.text)} on`);
  }
  return sql;
}
