import { Kbd, MOD } from "../components/Kbd";
import { Modal } from "../components/Modal";

const SHORTCUTS: [string[], string][] = [
  [[MOD, "Enter"], "Run the program"],
  [[MOD, "Z"], "Undo your own last edit"],
  [[MOD, "Shift", "Z"], "Redo"],
  [[MOD, "F"], "Search in the code"],
  [[MOD, "/"], "Toggle comment"],
  [["Tab"], "Indent (Esc then Tab moves focus)"],
  [[MOD, "Shift", "["], "Fold block"],
  [["?"], "Show this help"],
  [["Esc"], "Close dialogs and panels"],
];

export function ShortcutsHelp({ onClose }: { onClose: () => void }) {
  return (
    <Modal title="Keyboard shortcuts" onClose={onClose} width={460}>
      <table className="shortcuts" data-testid="shortcuts-help">
        <tbody>
          {SHORTCUTS.map(([keys, what]) => (
            <tr key={what}>
              <td>
                <Kbd keys={keys} />
              </td>
              <td>{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Modal>
  );
}
