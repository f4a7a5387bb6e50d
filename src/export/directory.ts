// Export into a folder the user picks, where the browser has the File System Access API (Chromium).

interface DirectoryPickerWindow {
  showDirectoryPicker?(options?: { mode?: 'read' | 'readwrite'; id?: string }): Promise<FileSystemDirectoryHandle>;
}

export function canWriteFolders(): boolean {
  return typeof window !== 'undefined' && typeof (window as DirectoryPickerWindow).showDirectoryPicker === 'function';
}

/** Asks for a folder (needs a click), then writes `<folder>/<file>` into it; returns the folder's name. */
export async function writeFolderToPickedDirectory(folder: string, files: Record<string, Uint8Array>): Promise<string> {
  const picker = (window as DirectoryPickerWindow).showDirectoryPicker;
  if (!picker) throw new Error('this browser cannot write folders (no File System Access API): export a zip instead');
  const parent = await picker.call(window, { mode: 'readwrite', id: 'xnli-export' });
  await writeFolder(parent, folder, files);
  return `${parent.name}/${folder}`;
}

export async function writeFolder(parent: FileSystemDirectoryHandle, folder: string, files: Record<string, Uint8Array>): Promise<void> {
  const target = await parent.getDirectoryHandle(folder, { create: true });
  for (const [name, bytes] of Object.entries(files)) {
    const writable = await (await target.getFileHandle(name, { create: true })).createWritable();
    await writable.write(bytes as Uint8Array<ArrayBuffer>);
    await writable.close();
  }
}
