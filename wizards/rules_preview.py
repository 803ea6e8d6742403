# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""Preview what an edit of a store's matching rules would change in its
pending records, before it is saved."""
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.wizard import Button, StateTransition, StateView, Wizard

from ..exceptions import RulesValidationError


class RulesPreviewStart(ModelView):
    "Preview Matching Rules"
    __name__ = 'commerce.rules.preview.start'

    store = fields.Many2One('web.shop', "Store", readonly=True)
    rules = fields.Text(
        "Matching Rules",
        help="Edit the rules here; Preview counts what they would change.")
    summary = fields.Text("Would Change", readonly=True)


class RulesPreview(Wizard):
    "Preview Matching Rules"
    __name__ = 'commerce.rules.preview'
    start_state = 'init'
    init = StateTransition()
    start = StateView('commerce.rules.preview.start',
        'cloud_commerce.rules_preview_start_view_form', [
            Button("Close", 'end', 'tryton-cancel'),
            Button("Preview", 'preview', 'tryton-refresh', default=True),
            Button("Save Rules", 'save', 'tryton-save'),
            ])
    preview = StateTransition()
    save = StateTransition()

    def transition_init(self):
        self.start.store = self.record
        self.start.rules = self.record.commerce_rules
        self.start.summary = self.summarize(self.record.commerce_rules)
        return 'start'

    def default_start(self, fields):
        return {
            'store': self.start.store.id,
            'rules': self.start.rules,
            'summary': self.start.summary,
            }

    def summarize(self, text):
        "The counts of what the text would change, or why it is invalid"
        pool = Pool()
        Matcher = pool.get('commerce.matcher')
        store = self.record
        try:
            store.check_commerce_rules(text)
        except RulesValidationError as error:
            return error.message
        return Matcher.preview_summary(Matcher.preview(store, text or ''))

    def transition_preview(self):
        self.start.summary = self.summarize(self.start.rules)
        return 'start'

    def transition_save(self):
        pool = Pool()
        Shop = pool.get('web.shop')
        Shop.write([self.record], {'commerce_rules': self.start.rules})
        return 'end'
