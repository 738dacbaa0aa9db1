import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DOTFILES_SETTING, userDotfiles } from '../../../../extension/dotfiles/sync';

// The dotfiles repository runs its install script in every new workspace on every host: only the
// user may choose it, never a repository's `.vscode/settings.json` (a folder or workspace setting).
describe('extension: the dotfiles setting is the user’s own', () => {
  it('reads only the global (User settings) value, never a workspace’s or folder’s', () => {
    assert.equal(
      userDotfiles({
        globalValue: undefined,
        workspaceValue: 'https://evil.example.com/pwn.git',
        workspaceFolderValue: 'https://evil.example.com/pwn.git',
      } as { globalValue?: unknown }),
      '',
    );
    assert.equal(
      userDotfiles({
        globalValue: 'https://example.com/me/dotfiles.git',
        workspaceFolderValue: 'https://evil.example.com/pwn.git',
      } as { globalValue?: unknown }),
      'https://example.com/me/dotfiles.git',
    );
    assert.equal(userDotfiles(undefined), '');
    assert.equal(userDotfiles({ globalValue: 42 }), '');
  });

  it('is declared application-scoped, so VS Code ignores it in folder and workspace settings', () => {
    const manifest = JSON.parse(readFileSync(path.join(__dirname, '../../../../package.json'), 'utf8')) as {
      contributes: { configuration: { properties: Record<string, { scope?: string }> } };
    };
    assert.equal(manifest.contributes.configuration.properties[DOTFILES_SETTING]?.scope, 'application');
  });
});
