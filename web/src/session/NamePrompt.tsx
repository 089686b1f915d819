import { type FormEvent, useState } from "react";
import { Modal } from "../components/Modal";

/** Asks a first-time visitor what to call them; remembered in this browser. */
export function NamePrompt({
  suggestion,
  onSave,
}: {
  suggestion: string;
  onSave: (name: string) => void;
}) {
  const [name, setName] = useState(suggestion);
  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    onSave(name.trim() || suggestion);
  };
  return (
    <Modal
      title="What should others call you?"
      onClose={() => submit()}
      footer={
        <button type="submit" form="name-form" className="btn primary">
          Join session
        </button>
      }
    >
      <form id="name-form" onSubmit={submit}>
        <p className="hint">Your name shows next to your cursor and in the run history.</p>
        <input
          className="big-input"
          value={name}
          maxLength={40}
          onChange={(e) => setName(e.target.value)}
          aria-label="Display name"
          data-testid="name-input"
        />
      </form>
    </Modal>
  );
}
