# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class StoreConnectionError(UserError):
    pass


class StagingStateError(UserError):
    pass


class StagingValueError(UserError):
    record_id = None


class ApprovalError(UserError):
    pass


class RulesValidationError(ValidationError):
    pass
