import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { messageOf } from '../api.ts';
import { href, navigate } from '../router.ts';

/** An in-app link: a real `<a href>` (open in a new tab works), routed without a reload. */
interface LinkProps {
  to: string;
  children: ComponentChildren;
  class?: string;
  role?: 'tab';
  'aria-current'?: 'page' | undefined;
  'aria-selected'?: boolean;
}

export function Link({ to, children, ...rest }: LinkProps) {
  return (
    <a
      {...rest}
      href={href(to)}
      onClick={(event) => {
        if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

/** A labelled input with its hint and the server's (or the editor's) message for this field. */
export function Field({ id, label, error, hint, children, wide }: { id: string; label: string; error?: string | undefined; hint?: string; children: ComponentChildren; wide?: boolean }) {
  return (
    <div class={`field${error ? ' field-invalid' : ''}${wide ? ' field-wide' : ''}`}>
      <label for={id}>{label}</label>
      {children}
      {hint && !error && <p class="hint" id={`${id}-hint`}>{hint}</p>}
      {error && (
        <p class="field-error" id={`${id}-error`} role="alert">
          <span aria-hidden="true">⚠ </span>
          {error}
        </p>
      )}
    </div>
  );
}

export function Banner({ kind, children, action }: { kind: 'error' | 'warning' | 'success' | 'info'; children: ComponentChildren; action?: ComponentChildren }) {
  const icon = { error: '✕', warning: '!', success: '✓', info: 'i' }[kind];
  return (
    <div class={`banner banner-${kind}`} role={kind === 'error' || kind === 'warning' ? 'alert' : 'status'}>
      <span class="banner-icon" aria-hidden="true">
        {icon}
      </span>
      <div class="banner-text">{children}</div>
      {action}
    </div>
  );
}

/**
 * A table of records: the scrolling wrapper, an accessible name, one header row. `actions` adds a
 * last column for row buttons, named for screen readers only. Rows are the children; `empty` is
 * what shows under the header when there are none.
 */
export function DataTable({ label, columns, busy, actions, empty, children }: {
  label: string;
  columns: string[];
  busy?: boolean;
  actions?: boolean;
  empty?: ComponentChildren;
  children: ComponentChildren;
}) {
  return (
    <div class="table-wrap" aria-busy={busy}>
      <table class="table" aria-label={label}>
        <thead>
          <tr>
            {columns.map((column) => (
              <th scope="col" key={column}>
                {column}
              </th>
            ))}
            {actions && (
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
      {empty}
    </div>
  );
}

/** Status text always next to its color, so color is never the only signal. */
export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-${status}`}>{status}</span>;
}

/**
 * A modal confirmation (`<dialog>`: focus moves in, Escape cancels). `onConfirm` may throw an
 * API problem; its message is shown in the dialog, which stays open.
 */
export function ConfirmDialog({ title, children, confirmLabel, danger, onConfirm, onClose }: {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  return (
    <dialog ref={dialog} class="dialog" aria-labelledby="dialog-title" onClose={onClose}>
      <h2 id="dialog-title">{title}</h2>
      <div class="dialog-body">{children}</div>
      {error && <Banner kind="error">{error}</Banner>}
      <div class="actions">
        <button type="button" class="button" onClick={() => dialog.current?.close()}>
          Cancel
        </button>
        <button
          type="button"
          class={`button ${danger ? 'button-danger' : 'button-primary'}`}
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            setError(null);
            try {
              await onConfirm();
              dialog.current?.close();
            } catch (failure) {
              setError(messageOf(failure));
            } finally {
              setBusy(false);
            }
          }}
        >
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      class="button"
      onClick={async () => {
        await navigator.clipboard.writeText(text);
        setCopied(true);
      }}
    >
      {copied ? 'Copied ✓' : label}
    </button>
  );
}

export function PageHeader({ title, subtitle, actions }: { title: ComponentChildren; subtitle?: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <header class="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle && <p class="subtitle">{subtitle}</p>}
      </div>
      {actions && <div class="actions">{actions}</div>}
    </header>
  );
}

export function formatTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}
