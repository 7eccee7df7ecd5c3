// Small enhancements only: every page works without this file.
"use strict";

// Close the account menu when clicking elsewhere or pressing Escape.
document.addEventListener("click", (event) => {
  document.querySelectorAll("details.dropdown[open]").forEach((menu) => {
    if (!menu.contains(event.target)) menu.removeAttribute("open");
  });
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  document.querySelectorAll("details.dropdown[open]").forEach((menu) => {
    menu.removeAttribute("open");
    menu.querySelector("summary")?.focus();
  });
});

// Asks a JSON endpoint of this server while the person types, and hands the
// answer to `show`; an answer to an earlier question than the latest is
// dropped. `ask(null)` cancels what is pending. The rules stay on the server.
const askAsYouType = (url, show) => {
  let asked = 0;
  let timer;
  return (params) => {
    clearTimeout(timer);
    const ticket = ++asked;
    if (params === null) return;
    timer = setTimeout(async () => {
      try {
        const response = await fetch(`${url}?${new URLSearchParams(params)}`, {
          headers: { Accept: "application/json" },
        });
        if (!response.ok) return;
        const answer = await response.json();
        if (ticket === asked) show(answer);
      } catch {
        // Offline or signed out: keep what is shown.
      }
    }, 150);
  };
};

// New organization: show the address the name gives while the address field is
// empty. The server derives it (GET /orgs/slug-preview, the rule the form uses),
// so the preview never promises an address the form would not give. Without
// scripts the hint explains the rule instead.
document.querySelectorAll("form[data-slug-form]").forEach((form) => {
  const name = form.querySelector("#name");
  const slug = form.querySelector("#slug");
  const preview = form.querySelector("[data-slug-preview]");
  const url = form.dataset.slugPreviewUrl;
  if (!name || !slug || !preview || !url) return;
  const show = (text) => {
    preview.textContent = text || "your-address";
  };
  const ask = askAsYouType(url, (answer) => show(answer.slug));
  const update = () => {
    const typed = slug.value.trim();
    if (typed || !name.value.trim()) {
      ask(null);
      show(typed);
    } else {
      ask({ name: name.value });
    }
  };
  name.addEventListener("input", update);
  slug.addEventListener("input", update);
});

// Copy buttons: the token in its dialog, a key's id in the list. The button
// names its source (`data-copy-button`: an input, or an element whose text is
// copied); the nearest `data-copy-status` says what happened.
document.querySelectorAll("[data-copy-button]").forEach((button) => {
  const source = document.getElementById(button.dataset.copyButton);
  if (!source) return;
  const status = button.closest("dialog, section")?.querySelector("[data-copy-status]");
  const isField = "value" in source && source.tagName === "INPUT";
  // The visible word only: a list's button also names its key for screen readers.
  const word = [...button.childNodes].find((node) => node.nodeType === Node.TEXT_NODE);
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(isField ? source.value : source.textContent.trim());
      if (word) word.textContent = "Copied";
      if (status) status.textContent = isField ? "Copied to the clipboard." : `Copied the key id ${source.textContent.trim()}.`;
      source.dispatchEvent(new CustomEvent("copied", { bubbles: true }));
    } catch {
      // No clipboard access: leave the text selected for Ctrl+C.
      if (isField) {
        source.focus();
        source.select();
      } else {
        window.getSelection()?.selectAllChildren(source);
      }
      if (status) status.textContent = "Press Ctrl+C (or ⌘C) to copy the selected text.";
    }
  });
});

// The one-time token dialog: modal when scripts run. Closing it before the key
// was copied (Copy, or Ctrl+C in the field) asks first; once closed, the focus
// goes to the new key's row, not back to the top of the page.
(() => {
  const dialog = document.getElementById("new-key-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return;
  dialog.close();
  dialog.showModal();
  const field = dialog.querySelector("[data-copy-source]");
  if (field) {
    field.addEventListener("focus", () => field.select());
    field.focus();
    field.select();
  }
  let copied = false;
  dialog.addEventListener("copied", () => {
    copied = true;
  });
  field?.addEventListener("copy", () => {
    copied = true;
  });
  const warning = dialog.querySelector("[data-copy-warning]");
  const back = dialog.querySelector("[data-copy-warning-back]");
  const done = dialog.querySelector("[data-dialog-done-form]");
  // While the question is asked, its two answers replace Done.
  const warn = () => {
    if (!warning) return false;
    warning.hidden = false;
    if (done) done.hidden = true;
    back?.focus();
    return true;
  };
  done?.addEventListener("submit", (event) => {
    if (!copied && warning?.hidden && warn()) event.preventDefault();
  });
  dialog.addEventListener("cancel", (event) => {
    if (!copied && warning?.hidden && warn()) event.preventDefault();
  });
  back?.addEventListener("click", () => {
    warning.hidden = true;
    if (done) done.hidden = false;
    field?.focus();
  });
  dialog.querySelector("[data-copy-warning-close]")?.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    const row = document.getElementById(dialog.dataset.newKeyRow || "");
    const target = row || document.getElementById("keys-title");
    if (!target) return;
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    // A task later: some browsers give the focus back to what had it before the
    // dialog opened after this event, which would undo it.
    setTimeout(() => target.focus(), 0);
  });
})();

// "Add API key" at the top of the list: to the form, with the focus in its first field.
document.querySelectorAll("a[data-add-key]").forEach((link) => {
  link.addEventListener("click", () => {
    setTimeout(() => document.getElementById("description")?.focus(), 0);
  });
});

// Confirmations. An action that cannot be undone is a link to a confirmation
// page (what works without scripts); with scripts the link opens a dialog that
// asks the same: its form posts to the link's address, and each slot shows the
// link's data attribute named for it (`slots`: selector in the dialog → key of
// `link.dataset`), so the dialog names what the action is about.
const confirmInDialog = (dialog, links, { form, slots }) => {
  if (!dialog || typeof dialog.showModal !== "function") return;
  const target = dialog.querySelector(form);
  if (!target) return;
  links.forEach((link) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      target.action = link.getAttribute("href");
      for (const [selector, key] of Object.entries(slots)) {
        const slot = dialog.querySelector(selector);
        if (slot) slot.textContent = link.dataset[key] ?? "";
      }
      dialog.showModal();
    });
  });
  dialog.querySelector("[data-dialog-cancel]")?.addEventListener("click", () => dialog.close());
};

// API keys: Revoke and Roll name the key (Roll's dialog also asks for the overlap).
confirmInDialog(document.getElementById("revoke-key-dialog"), document.querySelectorAll("a[data-revoke-key]"), {
  form: "[data-revoke-form]",
  slots: { "[data-revoke-description]": "description", "[data-revoke-hint]": "hint" },
});
confirmInDialog(document.getElementById("roll-key-dialog"), document.querySelectorAll("a[data-roll-key]"), {
  form: "[data-roll-form]",
  slots: { "[data-roll-description]": "description", "[data-roll-hint]": "hint" },
});

// Organizations (Remove a member, Leave): a `dialog[data-confirm-dialog]` is
// opened by the links `a[data-confirm=<its id>]`; its `[data-confirm-slot=x]`
// show the link's `data-x`.
document.querySelectorAll("dialog[data-confirm-dialog]").forEach((dialog) => {
  const slots = {};
  dialog.querySelectorAll("[data-confirm-slot]").forEach((slot) => {
    slots[`[data-confirm-slot="${slot.dataset.confirmSlot}"]`] = slot.dataset.confirmSlot;
  });
  const links = document.querySelectorAll(`a[data-confirm="${dialog.id}"]`);
  confirmInDialog(dialog, links, { form: "form[method=post]", slots });
});

// Valid until: say in words what the chosen date means. The server words it
// (GET /api-keys/valid-until-preview, the sentence the page renders), so a date
// the form refuses reads as nothing here too.
document.querySelectorAll("[data-valid-until]").forEach((input) => {
  const meaning = document.querySelector("[data-valid-until-meaning]");
  const url = input.dataset.previewUrl;
  if (!meaning || !url) return;
  const ask = askAsYouType(url, (answer) => {
    meaning.textContent = answer.meaning;
  });
  // Under a policy that needs a date, an empty field means nothing (not "never expires").
  const needed = "expiryNeeded" in input.dataset;
  const update = () => ask(needed ? { valid_until: input.value, expiry_needed: "1" } : { valid_until: input.value });
  input.addEventListener("input", update);
  input.addEventListener("change", update);
  // A half-typed or impossible date reads as empty, which would mean "never
  // expires": refuse to send the form instead.
  input.form?.addEventListener("submit", (event) => {
    if (input.validity.badInput) {
      event.preventDefault();
      input.setCustomValidity(
        needed ? "Enter a whole date." : "Enter a whole date, or clear the field for a key that never expires.",
      );
      input.reportValidity();
      input.setCustomValidity("");
    }
  });
});
