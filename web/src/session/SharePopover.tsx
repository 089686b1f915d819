import { useEffect, useState } from "react";
import { Icon } from "../components/Icon";
import { usePopover } from "../components/useDismiss";
import { copyText } from "./sessionActions";

/** Absolute share URLs; a person who may only view gets only the view link. */
export interface ShareLinks {
  edit?: string;
  view?: string;
}

interface ShareButtonProps {
  links: ShareLinks;
  onCopied: (what: string) => void;
  onCopyFailed: (url: string) => void;
}

/** The Share button and its popover: one copyable link per role this person can hand out. */
export function ShareButton({ links, onCopied, onCopyFailed }: ShareButtonProps) {
  const { open, trigger, wrap } = usePopover<HTMLDivElement>();

  return (
    <div className="share-wrap" ref={wrap}>
      <button {...trigger} className="btn" aria-label="Share" data-testid="share-button">
        <Icon name="link" /> <span className="btn-label">Share</span>
      </button>
      {open && (
        <div
          className="share-popover"
          role="dialog"
          aria-label="Share this session"
          data-testid="share-popover"
        >
          {links.edit && (
            <ShareRow
              label="Can edit"
              hint="Edit the code, run it and change its settings."
              url={links.edit}
              testId="share-edit-link"
              onCopied={onCopied}
              onCopyFailed={onCopyFailed}
            />
          )}
          {links.view && (
            <ShareRow
              label="View only"
              hint="Follow the code, the people here and every run's output."
              url={links.view}
              testId="share-view-link"
              onCopied={onCopied}
              onCopyFailed={onCopyFailed}
            />
          )}
          {!links.edit && !links.view && (
            <p className="hint">The share links appear once the server has answered.</p>
          )}
        </div>
      )}
    </div>
  );
}

function ShareRow({
  label,
  hint,
  url,
  testId,
  onCopied,
  onCopyFailed,
}: {
  label: string;
  hint: string;
  url: string;
  testId: string;
  onCopied: (what: string) => void;
  onCopyFailed: (url: string) => void;
}) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 1500);
    return () => clearTimeout(timer);
  }, [copied]);

  const copy = () =>
    copyText(url).then(
      () => {
        setCopied(true);
        onCopied(label);
      },
      () => onCopyFailed(url),
    );

  return (
    <div className="share-row">
      <div className="share-label">
        <strong>{label}</strong>
        <span className="hint">{hint}</span>
      </div>
      <div className="share-field">
        <input
          readOnly
          value={url}
          aria-label={`${label} link`}
          data-testid={testId}
          onFocus={(e) => e.target.select()}
        />
        <button
          type="button"
          className="btn small"
          onClick={copy}
          aria-label={`Copy ${label} link`}
        >
          {copied ? "Copied" : "Copy"}
        </button>
      </div>
    </div>
  );
}
