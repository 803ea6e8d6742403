# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
from trytond.tests.test_tryton import ModuleTestCase


class CloudCommerceTestCase(ModuleTestCase):
    "Test Cloud Commerce module"
    module = 'cloud_commerce'


del ModuleTestCase
