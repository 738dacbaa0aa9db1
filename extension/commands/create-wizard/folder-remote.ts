import * as vscode from 'vscode';
import {
  FOLDER_REMOTE_WITHIN_MS,
  folderRemote,
  pickRemote,
  readFolderRemote,
  within,
  type FolderRemote,
} from './git-remote';

/** The little of VS Code's built-in git extension API (`vscode.git`, API 1) read here. */
interface GitApi {
  state: string;
  getRepository(uri: vscode.Uri): {
    rootUri: vscode.Uri;
    state: { HEAD?: { name?: string }; remotes: { name: string; fetchUrl?: string }[] };
  } | null;
}

/** The git extension's view of `folder`, when it is active and has opened it; null otherwise. */
function fromGitExtension(folder: vscode.Uri): FolderRemote | null {
  try {
    const git = vscode.extensions.getExtension<{ getAPI(version: 1): GitApi }>('vscode.git');
    if (!git?.isActive) return null;
    const api = git.exports.getAPI(1);
    if (api.state !== 'initialized') return null;
    const repository = api.getRepository(folder);
    if (!repository) return null;
    const remotes = new Map<string, string>();
    for (const remote of repository.state.remotes) if (remote.fetchUrl) remotes.set(remote.name, remote.fetchUrl);
    return folderRemote(pickRemote(remotes), repository.state.HEAD?.name);
  } catch {
    return null;
  }
}

/**
 * The git remote of the window's first folder, to offer for clone on create: the built-in git
 * extension's when it knows the folder, else read from the folder's `.git` (git is never run).
 * Null when no local folder is open or it has no usable remote.
 */
export async function openFolderRemote(): Promise<FolderRemote | null> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (!folder || folder.scheme !== 'file') return null;
  // Bounded: the wizard waits on it, so a folder that will not answer offers no clone rather than no wizard.
  return (
    fromGitExtension(folder) ??
    (await within(
      readFolderRemote(folder.fsPath).catch(() => null),
      FOLDER_REMOTE_WITHIN_MS,
    ))
  );
}
