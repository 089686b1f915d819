import { type FormEvent, useState } from "react";
import type { Language } from "../client/types";
import { Modal } from "../components/Modal";

interface CreateSessionDialogProps {
  languages: Language[];
  onCreate: (input: { title: string; language: string; code: string }) => Promise<void>;
  onClose: () => void;
}

/** New session: a title and a language; the code starts from that language's template. */
export function CreateSessionDialog({ languages, onCreate, onClose }: CreateSessionDialogProps) {
  const [title, setTitle] = useState("");
  const [language, setLanguage] = useState(
    languages.find((l) => l.available)?.id ?? languages[0]?.id ?? "",
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const chosen = languages.find((l) => l.id === language);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!chosen) return;
    setBusy(true);
    setError(null);
    try {
      await onCreate({
        title: title.trim() || `${chosen.name} session`,
        language,
        code: chosen.template,
      });
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };

  return (
    <Modal
      title="New session"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            form="create-form"
            className="btn primary"
            disabled={busy || !chosen}
          >
            {busy ? "Creating…" : "Create session"}
          </button>
        </>
      }
    >
      <form id="create-form" onSubmit={submit} className="form-grid">
        <label className="field">
          <span>Title</span>
          <input
            value={title}
            maxLength={120}
            placeholder={chosen ? `${chosen.name} session` : "My session"}
            onChange={(e) => setTitle(e.target.value)}
            data-testid="create-title"
          />
        </label>
        <label className="field">
          <span>Language</span>
          <select
            value={language}
            onChange={(e) => setLanguage(e.target.value)}
            data-testid="create-language"
          >
            {languages.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
                {l.available ? "" : " (not installed)"}
              </option>
            ))}
          </select>
        </label>
        {chosen && <pre className="template-preview">{chosen.template}</pre>}
        {error && <div className="error-box">{error}</div>}
      </form>
    </Modal>
  );
}
