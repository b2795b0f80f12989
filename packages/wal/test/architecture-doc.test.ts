import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const INDEX = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const ARCHITECTURE = fileURLToPath(new URL('../../../docs/ARCHITECTURE.md', import.meta.url));
const SECTION = '### @nori/wal exports';

/** Every name `index.ts` exports (values and types); it may only re-export (`export { } from`). */
function indexExports(): string[] {
  const source = ts.createSourceFile(INDEX, readFileSync(INDEX, 'utf8'), ts.ScriptTarget.Latest, true);
  const names: string[] = [];
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement)) {
      const clause = statement.exportClause;
      if (clause === undefined || !ts.isNamedExports(clause)) throw new Error(`unsupported export form: ${statement.getText()}`);
      for (const element of clause.elements) names.push(element.name.text);
    } else if (ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
      throw new Error(`index.ts declares an export in place; re-export it instead: ${statement.getText().slice(0, 60)}`);
    }
  }
  return names;
}

/** Names the ARCHITECTURE.md section lists: backticked identifiers before each bullet's colon. */
function documentedExports(markdown: string): string[] {
  const start = markdown.indexOf(`\n${SECTION}\n`);
  if (start < 0) throw new Error(`ARCHITECTURE.md has no "${SECTION}" section`);
  const rest = markdown.slice(start + SECTION.length + 2);
  const end = rest.search(/\n#{1,3} /);
  const section = end < 0 ? rest : rest.slice(0, end);
  const names: string[] = [];
  for (const line of section.split('\n')) {
    if (!line.startsWith('- ')) continue;
    const head = line.slice(2, line.indexOf(':') < 0 ? undefined : line.indexOf(':'));
    for (const match of head.matchAll(/`([A-Za-z_$][\w$]*)`/g)) names.push(match[1] as string);
  }
  return names;
}

describe('docs/ARCHITECTURE.md', () => {
  it('names exactly the exports of packages/wal/src/index.ts, each once', () => {
    const documented = documentedExports(readFileSync(ARCHITECTURE, 'utf8'));
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual(indexExports().sort());
  });

  it('notices a missing or extra name (the check can fail)', () => {
    const markdown = `# x\n\n${SECTION}\n\n- \`Wal\`, \`Extra\`: text with \`notAName\` after the colon.\n\n## next\n- \`Later\`: other section\n`;
    expect(documentedExports(markdown)).toEqual(['Wal', 'Extra']);
    expect(indexExports()).toContain('Wal');
    expect(indexExports()).not.toContain('Extra');
  });
});
