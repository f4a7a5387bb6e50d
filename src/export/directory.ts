// Export into a folder the user picks, where the browser has the File System Access API (Chromium).
import type { ExportFile } from './hf-folder.ts';

const PIECE = 8 * 1024 * 1024;

interface DirectoryPickerWindow {
  showDirectoryPicker?(options?: { mode?: 'read' | 'readwrite'; id?: string }): Promise<FileSystemDirectoryHandle>;
}

export function canWriteFolders(): boolean {
  return typeof window !== 'undefined' && typeof (window as DirectoryPickerWindow).showDirectoryPicker === 'function';
}

/** Asks for a folder (needs a click), then writes `<folder>/<file>` into it; returns the folder's name. */
export async function writeFolderToPickedDirectory(folder: string, files: ExportFile[]): Promise<string> {
  const picker = (window as DirectoryPickerWindow).showDirectoryPicker;
  if (!picker) throw new Error('this browser cannot write folders (no File System Access API): export a zip instead');
  const parent = await picker.call(window, { mode: 'readwrite', id: 'xnli-export' });
  await writeFolder(parent, folder, files);
  return `${parent.name}/${folder}`;
}

/** Writes each file piece by piece (8 MiB at a time), so an export never holds a file whole. */
export async function writeFolder(parent: FileSystemDirectoryHandle, folder: string, files: ExportFile[]): Promise<void> {
  const target = await parent.getDirectoryHandle(folder, { create: true });
  for (const file of files) {
    const writable = await (await target.getFileHandle(file.name, { create: true })).createWritable();
    try {
      for (let start = 0; start < file.size; start += PIECE) {
        await writable.write((await file.read(start, Math.min(start + PIECE, file.size))) as Uint8Array<ArrayBuffer>);
      }
      await writable.close();
    } catch (error) {
      await writable.abort().catch(() => {});
      throw error;
    }
  }
}
