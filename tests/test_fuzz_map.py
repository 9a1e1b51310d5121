"""Random query strings on /map.svg never cause a server error (as for every public URL)."""

from hypothesis.extra.django import TestCase

from tests import factory
from tests.test_fuzz_public import fuzz


class MapFuzzTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = factory.make_public_world()

    test_the_map_never_answers_with_a_server_error = fuzz("/map.svg")
