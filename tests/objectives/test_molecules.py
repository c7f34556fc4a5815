"""Tests for the molecule objectives (qed, penalized-logp, rediscovery-celecoxib), their
vendored MOSES data and the SELFIES codec."""

from __future__ import annotations

import gzip
import io
import subprocess
import sys

import numpy as np
import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import QED, Crippen, rdFingerprintGenerator
from rdkit.Contrib.SA_Score import sascorer

import objectives
from lsbo.exceptions import InvalidDesignsError, InvalidOptionError
from lsbo.models import SequenceVAE, load_model
from lsbo.representations import SelfiesCodec
from lsbo.representations.molecules import canonical_smiles, selfies_to_smiles, smiles_to_selfies
from objectives import _molecules, penalized_logp, qed, rediscovery_celecoxib
from tests.objectives.contract import ObjectiveContract

CELECOXIB = "CC1=CC=C(C=C1)C1=CC(=NN1C1=CC=C(C=C1)S(N)(=O)=O)C(F)(F)F"  # as GuacaMol writes it
TOP_QED = "Cc1ccc(NC(=O)c2ccc(F)cc2)cc1S(C)(=O)=O"  # the best QED of the vendored data
METHANE = "[C]"


def invalid_molecules() -> list[object]:
    return [
        "",  # empty
        "CCO",  # SMILES, not SELFIES
        "[C][C",  # a cut token
        "[Ring1][Branch1]",  # SELFIES that decodes to no atom
        None,
        42,
        np.zeros(3),
    ]


class TestQEDContract(ObjectiveContract):
    module = qed
    registry_name = "qed"
    optimum_tolerance = 1e-3  # 0.948 is the best value reported, not a proven maximum

    def optimal_design(self):
        return smiles_to_selfies(TOP_QED)

    def bad_design(self):
        return METHANE, QED.qed(Chem.MolFromSmiles("C"))

    def invalid_designs(self):
        return invalid_molecules()


class TestPenalizedLogPContract(ObjectiveContract):
    module = penalized_logp
    registry_name = "penalized-logp"

    def optimal_design(self):
        return None  # long carbon chains raise logP without bound

    def bad_design(self):
        return METHANE, penalized_logp_by_hand("C")

    def invalid_designs(self):
        return invalid_molecules()


class TestRediscoveryContract(ObjectiveContract):
    module = rediscovery_celecoxib
    registry_name = "rediscovery-celecoxib"

    def optimal_design(self):
        return smiles_to_selfies(CELECOXIB)

    def bad_design(self):
        return METHANE, 0.0  # no Morgan environment in common with celecoxib

    def invalid_designs(self):
        return invalid_molecules()


def penalized_logp_by_hand(smiles: str) -> float:
    """The issue's formula, written out from rdkit's parts."""
    mol = Chem.MolFromSmiles(smiles)
    largest_ring = max((len(ring) for ring in mol.GetRingInfo().AtomRings()), default=0)
    return (
        (Crippen.MolLogP(mol) - 2.45777691) / 1.43341767
        + (3.05352042 - sascorer.calculateScore(mol)) / 0.83460587
        + (0.04861121 - max(0, largest_ring - 6)) / 0.28746695
    )


def tanimoto_by_hand(a: str, b: str) -> float:
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    fa, fb = (generator.GetFingerprint(Chem.MolFromSmiles(s)) for s in (a, b))
    return DataStructs.TanimotoSimilarity(fa, fb)


# ---------------------------------------------------------------------- scores


@pytest.mark.parametrize(
    "smiles",
    ["C", "CCO", "c1ccccc1", "C1CCCCCCC1", "CCCCCCCCCCCCCCCCCCCC", CELECOXIB],
)
def test_penalized_logp_follows_the_papers_formula(smiles):
    [evaluation] = penalized_logp.OBJECTIVE()([smiles_to_selfies(smiles)])
    assert evaluation.value == pytest.approx(penalized_logp_by_hand(smiles), abs=1e-9)


def test_large_rings_are_penalized():
    mol = Chem.MolFromSmiles("C1CCCCCCC1")  # an 8-membered ring
    assert _molecules.cycle_penalty(mol) == 2.0
    assert _molecules.cycle_penalty(Chem.MolFromSmiles("c1ccccc1")) == 0.0
    assert _molecules.cycle_penalty(Chem.MolFromSmiles("CCO")) == 0.0


def test_longer_chains_score_higher_penalized_logp_without_the_size_bound():
    unbounded = penalized_logp.PenalizedLogP(max_heavy_atoms=None)
    values = [e.value for e in unbounded(["[C]" * n for n in (5, 10, 20, 40)])]
    assert values == sorted(values) and values[-1] > 5


def test_penalized_logp_bounds_molecules_to_the_size_of_the_training_data():
    data = _molecules.table()
    largest = max(Chem.MolFromSmiles(s).GetNumHeavyAtoms() for s in data["smiles"])
    assert largest == penalized_logp.MAX_HEAVY_ATOMS
    objective = penalized_logp.OBJECTIVE()
    fits, too_big = "[C]" * largest, "[C]" * (largest + 1)
    assert objective.is_valid(fits) and not objective.is_valid(too_big)
    small, big = objective([fits, too_big])
    assert small.status == "complete"
    assert big.status == "failed" and f"more than the {largest}" in big.message


def test_similarity_is_tanimoto_of_morgan_bits():
    objective = rediscovery_celecoxib.OBJECTIVE()
    for smiles in ("CCO", "c1ccccc1S(N)(=O)=O", TOP_QED):
        [evaluation] = objective([smiles_to_selfies(smiles)])
        assert evaluation.value == pytest.approx(tanimoto_by_hand(smiles, CELECOXIB))
    assert 0 < objective([smiles_to_selfies("Cc1ccc(cc1)-c1cc[nH]n1")])[0].value < 1


def test_spellings_of_one_molecule_score_alike_and_share_a_key():
    spellings = ["[C][C][O]", "[O][C][C]"]
    codec = SelfiesCodec.from_designs(spellings)
    assert codec.key(spellings[0]) == codec.key(spellings[1]) == "CCO"
    values = [e.value for e in qed.OBJECTIVE()(spellings)]
    assert values[0] == values[1]


def test_designs_are_shown_as_canonical_smiles_and_selfies():
    objective = qed.OBJECTIVE()
    assert objective.describe("[O][C][C]") == "CCO (SELFIES [O][C][C])"
    assert "invalid" in objective.describe("[Ring1]")
    assert objective.design_type.startswith("molecule")


def test_a_molecule_renders_as_a_drawing_and_an_invalid_one_as_text():
    objective = qed.OBJECTIVE()
    image = objective.render(smiles_to_selfies(TOP_QED))
    assert image.shape == (200, 200, 3) and 0.0 <= image.min() < 0.5 and image.max() == 1.0
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 2  # drawn: not a blank canvas
    assert objective.render("[Ring1]") == objective.describe("[Ring1]")
    assert "invalid" in objective.render("[Ring1]")


@pytest.mark.parametrize(
    ("design", "words"),
    [
        ("CCO", "not a SELFIES string"),
        ("[Ring1][Branch1]", "not a SELFIES string"),
        (None, "NoneType, not a string"),
    ],
)
def test_an_invalid_design_fails_with_a_clear_message(design, words):
    for module in (qed, penalized_logp, rediscovery_celecoxib):
        objective = module.OBJECTIVE()
        assert not objective.is_valid(design)
        [evaluation] = objective([design])
        assert evaluation.status == "failed" and words in evaluation.message


def test_one_invalid_design_does_not_fail_the_others():
    evaluations = qed.OBJECTIVE()(["[C][C][O]", "CCO", "[C]"])
    assert [e.status for e in evaluations] == ["complete", "failed", "complete"]


# ------------------------------------------------------------------------ data


def test_the_vendored_data_is_what_the_module_says():
    table = _molecules.table()
    assert len(table["selfies"]) == len(table["smiles"]) == _molecules.N_MOLECULES
    assert len(set(table["smiles"])) == _molecules.N_MOLECULES  # distinct molecules
    assert max(table["qed"]) == pytest.approx(qed.QED.optimum, abs=1e-3)
    # celecoxib and its near neighbours are held out (GuacaMol's rule)
    assert canonical_smiles(CELECOXIB) not in set(table["smiles"])
    assert max(table["celecoxib"]) <= _molecules.HOLDOUT_SIMILARITY
    codec = qed.make_codec(table["selfies"])
    assert codec.max_length == 49 and codec.vocab_size == 26  # 25 tokens + pad


def test_the_vendored_scores_match_a_fresh_computation():
    table = _molecules.table()
    for i in np.random.default_rng(0).choice(len(table["smiles"]), size=40, replace=False):
        smiles, selfies = table["smiles"][i], table["selfies"][i]
        assert canonical_smiles(smiles) == smiles
        assert selfies_to_smiles(selfies) == smiles
        scores = _molecules.all_scores(Chem.MolFromSmiles(smiles))
        for column in _molecules.SCORE_COLUMNS:
            assert table[column][i] == pytest.approx(scores[column], abs=1e-6), column


def test_each_task_scores_the_data_by_its_own_column():
    table = _molecules.table()
    for module, column in [
        (qed, "qed"),
        (penalized_logp, "penalized_logp"),
        (rediscovery_celecoxib, "celecoxib"),
    ]:
        data = module.dataset()
        assert data.designs == table["selfies"]
        assert data.scores == table[column].tolist()


def test_subsets_are_seeded_and_in_file_order():
    first, again = qed.dataset(n=50, seed=4), qed.dataset(n=50, seed=4)
    assert first.designs == again.designs and first.scores == again.scores
    order = {selfies: i for i, selfies in enumerate(_molecules.table()["selfies"])}
    rows = [order[d] for d in first.designs]
    assert rows == sorted(rows) and len(set(rows)) == 50


@pytest.mark.parametrize("bad", [{"n": 0}, {"n": 20_001}, {"n": 1.5}, {"seed": -1}])
def test_bad_arguments_raise(bad):
    with pytest.raises(InvalidOptionError):
        qed.dataset(**bad)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"not gzip at all", "cannot read"),
        (gzip.compress(b"smiles,selfies\nC,[C]\n"), "malformed"),
        (
            gzip.compress(",".join(_molecules.COLUMNS).encode() + b"\nC,[C],x,1,1,0,1,0\n"),
            "non-numeric",
        ),
    ],
    ids=["not-gzip", "missing-columns", "non-numeric"],  # gzip bytes hold a time stamp
)
def test_a_damaged_data_file_gets_a_clear_error(tmp_path, monkeypatch, content, words):
    path = tmp_path / "moses.csv.gz"
    path.write_bytes(content)
    monkeypatch.setattr(_molecules, "DATA_FILE", path)
    _molecules.table.cache_clear()
    try:
        with pytest.raises(InvalidDesignsError, match=words):
            qed.dataset()
    finally:
        _molecules.table.cache_clear()


def test_the_vendor_script_rebuilds_the_same_rows(tmp_path):
    from objectives.data.vendor_moses import vendor

    table = _molecules.table()
    source = tmp_path / "source.smi.gz"
    # the first rows again, plus celecoxib, which the script must hold out
    lines = [CELECOXIB, *table["smiles"][:30]]
    source.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    out = tmp_path / "out.csv.gz"
    counts = vendor(source, out, n=30)
    assert counts == {"read": 31, "unparsable": 0, "held_out": 1, "unwritable": 0, "kept": 30}
    with gzip.open(out, "rt") as handle:
        rows = handle.read().splitlines()
    with gzip.open(_molecules.DATA_FILE, "rt") as handle:
        shipped = [next(handle).rstrip("\n") for _ in range(31)]
    assert rows == shipped


# ----------------------------------------------------------------------- codec


def test_the_selfies_codec_round_trips_and_saves_with_a_model(tmp_path):
    data = qed.dataset(n=200, seed=0)
    codec = qed.make_codec(data.designs)
    assert codec.decode(codec.encode(data.designs)) == data.designs
    assert all(codec.is_valid(d) for d in data.designs)
    assert not any(codec.is_valid(d) for d in invalid_molecules())
    model = SequenceVAE(codec, latent_dim=4)
    buffer = io.BytesIO()
    model.save(buffer)
    loaded = load_model(buffer.getvalue())
    assert isinstance(loaded.codec, SelfiesCodec)
    assert loaded.codec.key("[O][C][C]") == "CCO"


def test_smiles_that_rdkit_refuses_are_reported():
    with pytest.raises(InvalidDesignsError, match="rdkit"):
        smiles_to_selfies("C1CC")  # an unclosed ring
    assert canonical_smiles("not a molecule") is None


def test_without_the_extra_the_metadata_lists_and_use_says_what_to_install():
    script = (
        "import sys\n"
        "sys.modules['rdkit'] = None\n"
        "sys.modules['selfies'] = None\n"
        "import objectives\n"
        "from lsbo.exceptions import MissingDependencyError\n"
        "module = objectives.load('qed')\n"
        "print(module.OBJECTIVE.description)\n"
        "try:\n"
        "    module.dataset()\n"
        "except MissingDependencyError as exc:\n"
        "    print('refused:', exc)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Drug-likeness" in result.stdout
    assert "pip install 'lsbo[molecules]'" in result.stdout


MOLECULE_TASKS = [
    name
    for name in objectives.BUILTIN
    if "make_codec" in vars(objectives.load(name))
    and objectives.load(name).make_codec is _molecules.make_codec
]


def test_every_molecule_task_is_found():
    assert len(MOLECULE_TASKS) == 10 and "osimertinib-mpo" in MOLECULE_TASKS


@pytest.mark.parametrize("task", MOLECULE_TASKS)
def test_plain_ranks_graph_children_alone_on_molecules_and_other_strategies_are_as_named(task):
    module = objectives.load(task)
    plain = objectives.strategy(module, "plain")
    assert plain.name == "plain" and plain.latent_optima is False and plain.mutants is None
    assert objectives.strategy(module, "plain", latent_optima=True).latent_optima is True
    assert objectives.strategy(module, "genetic").name == "genetic"
    assert objectives.strategy(module, "trust-region").name == "trust-region"
