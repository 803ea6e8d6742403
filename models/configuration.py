# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Cloud Commerce Configuration"
    __name__ = 'commerce.configuration'

    product_account_category = fields.Many2One(
        'product.category', "Account Category for New Products",
        domain=[('accounting', '=', True)],
        help="The accounting category given to products added from a "
        "store.")
    shipping_product = fields.Many2One(
        'product.product', "Shipping Product",
        domain=[('type', '=', 'service')],
        help="The product of the shipping line of a sale.")
    discount_product = fields.Many2One(
        'product.product', "Discount Product",
        domain=[('type', '=', 'service')],
        help="The product of discount and adjustment lines.")
    sales_tax = fields.Many2One(
        'account.tax', "Sales Tax",
        help="The tax that records the tax the store collected.")
    tip_product = fields.Many2One(
        'product.product', "Tip Product",
        domain=[('type', '=', 'service')])
    service_charge_product = fields.Many2One(
        'product.product', "Service Charge Product",
        domain=[('type', '=', 'service')])
    approval_queue_threshold = fields.Integer(
        "Approval Queue Threshold", required=True,
        help="Selections of more records are approved by the queue "
        "workers, in chunks, instead of while the user waits.")
    processing_fee_account = fields.Many2One(
        'account.account', "Processing Fee Account",
        domain=[('type.expense', '=', True), ('closed', '!=', True)],
        help="The expense account of the processing fees the store "
        "keeps: booked against the clearing account of the payments.")

    @classmethod
    def default_approval_queue_threshold(cls):
        return 200
