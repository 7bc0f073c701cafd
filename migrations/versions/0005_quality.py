"""parcours: imports, extracts (pseudonymised rows), charter versions and rules, findings, marks, quality settings

Revision ID: 0005_quality
Revises: 0004_training
Create Date: 2026-11-23 05:24:53.073603

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_quality'
down_revision = '0004_training'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('charter_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_charter_version')),
    sa.UniqueConstraint('number', name=op.f('uq_charter_version_number'))
    )
    op.create_table('pq_activite',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('extract_id', sa.Integer(), nullable=False),
    sa.Column('id_jeune', sa.String(length=40), nullable=False),
    sa.Column('first_event', sa.Date(), nullable=False),
    sa.Column('last_event', sa.Date(), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pq_activite'))
    )
    with op.batch_alter_table('pq_activite', schema=None) as batch_op:
        batch_op.create_index('ix_pq_activite_extract_id_jeune', ['extract_id', 'id_jeune'], unique=False)

    op.create_table('pq_dispositif',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('extract_id', sa.Integer(), nullable=False),
    sa.Column('id_jeune', sa.String(length=40), nullable=False),
    sa.Column('dispositif', sa.String(length=20), nullable=True),
    sa.Column('date_entree', sa.Date(), nullable=True),
    sa.Column('date_sortie', sa.Date(), nullable=True),
    sa.Column('motif_sortie', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pq_dispositif'))
    )
    with op.batch_alter_table('pq_dispositif', schema=None) as batch_op:
        batch_op.create_index('ix_pq_dispositif_extract_id_jeune', ['extract_id', 'id_jeune'], unique=False)

    op.create_table('pq_evenement',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('extract_id', sa.Integer(), nullable=False),
    sa.Column('id_jeune', sa.String(length=40), nullable=False),
    sa.Column('date_evenement', sa.Date(), nullable=True),
    sa.Column('type', sa.String(length=12), nullable=True),
    sa.Column('thematique', sa.String(length=12), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pq_evenement'))
    )
    with op.batch_alter_table('pq_evenement', schema=None) as batch_op:
        batch_op.create_index('ix_pq_evenement_extract_id', ['extract_id'], unique=False)

    op.create_table('pq_jeune',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('extract_id', sa.Integer(), nullable=False),
    sa.Column('id_jeune', sa.String(length=40), nullable=False),
    sa.Column('pseudo', sa.String(length=32), nullable=False),
    sa.Column('sexe', sa.String(length=1), nullable=True),
    sa.Column('code_postal', sa.String(length=5), nullable=True),
    sa.Column('code_commune', sa.String(length=5), nullable=True),
    sa.Column('departement', sa.String(length=3), nullable=True),
    sa.Column('qpv', sa.Boolean(), nullable=True),
    sa.Column('zrr', sa.Boolean(), nullable=True),
    sa.Column('niveau_formation', sa.String(length=5), nullable=True),
    sa.Column('birth_year', sa.SmallInteger(), nullable=True),
    sa.Column('birth_month', sa.SmallInteger(), nullable=True),
    sa.Column('age_premier_accueil', sa.SmallInteger(), nullable=True),
    sa.Column('date_premier_accueil', sa.Date(), nullable=True),
    sa.Column('logement', sa.String(length=10), nullable=True),
    sa.Column('permis_b', sa.Boolean(), nullable=True),
    sa.Column('vehicule', sa.Boolean(), nullable=True),
    sa.Column('rqth', sa.Boolean(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pq_jeune'))
    )
    with op.batch_alter_table('pq_jeune', schema=None) as batch_op:
        batch_op.create_index('ix_pq_jeune_extract_id_jeune', ['extract_id', 'id_jeune'], unique=False)
        batch_op.create_index('ix_pq_jeune_pseudo', ['pseudo'], unique=False)

    op.create_table('pq_situation',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('extract_id', sa.Integer(), nullable=False),
    sa.Column('id_jeune', sa.String(length=40), nullable=False),
    sa.Column('type_situation', sa.String(length=20), nullable=True),
    sa.Column('date_debut', sa.Date(), nullable=True),
    sa.Column('date_fin', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pq_situation'))
    )
    with op.batch_alter_table('pq_situation', schema=None) as batch_op:
        batch_op.create_index('ix_pq_situation_extract_id_jeune', ['extract_id', 'id_jeune'], unique=False)

    op.create_table('quality_finding',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('extract_id', sa.Integer(), nullable=False),
    sa.Column('rule_code', sa.String(length=10), nullable=False),
    sa.Column('severity', sa.String(length=14), nullable=False),
    sa.Column('record_key', sa.String(length=120), nullable=False),
    sa.Column('id_jeune', sa.String(length=40), nullable=False),
    sa.Column('pseudo', sa.String(length=32), nullable=True),
    sa.Column('field', sa.String(length=40), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('in_jeunes', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_finding'))
    )
    with op.batch_alter_table('quality_finding', schema=None) as batch_op:
        batch_op.create_index('ix_quality_finding_extract_rule', ['extract_id', 'rule_code'], unique=False)

    op.create_table('charter_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('severity', sa.String(length=14), nullable=False),
    sa.Column('dimension', sa.String(length=12), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.CheckConstraint("dimension IN ('completude', 'validite', 'unicite', 'coherence', 'actualite')", name=op.f('ck_charter_rule_dimension_known')),
    sa.CheckConstraint("severity IN ('erreur', 'avertissement')", name=op.f('ck_charter_rule_severity_known')),
    sa.ForeignKeyConstraint(['version_id'], ['charter_version.id'], name=op.f('fk_charter_rule_version_id_charter_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_charter_rule')),
    sa.UniqueConstraint('version_id', 'code', name='uq_charter_rule_version_code')
    )
    with op.batch_alter_table('charter_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_charter_rule_version_id'), ['version_id'], unique=False)

    op.create_table('quality_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('green_min', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('amber_min', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('stale_days', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amber_min >= 0 AND green_min <= 100 AND amber_min <= green_min', name=op.f('ck_quality_settings_threshold_order')),
    sa.CheckConstraint('stale_days BETWEEN 1 AND 3650', name=op.f('ck_quality_settings_stale_range')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_quality_settings_region_id_region'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_settings')),
    sa.UniqueConstraint('region_id', name=op.f('uq_quality_settings_region_id'))
    )
    op.create_table('parcours_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('source_name', sa.String(length=255), nullable=False),
    sa.Column('stored_path', sa.String(length=1000), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('stage', sa.String(length=120), nullable=False),
    sa.Column('progress', sa.SmallInteger(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('notices', sa.JSON(), nullable=False),
    sa.Column('checksums', sa.JSON(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('charter_version_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('job_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('en_attente', 'en_cours', 'termine', 'refuse', 'echec')", name=op.f('ck_parcours_import_status_known')),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_parcours_import_period_order')),
    sa.CheckConstraint('progress BETWEEN 0 AND 100', name=op.f('ck_parcours_import_progress_range')),
    sa.ForeignKeyConstraint(['charter_version_id'], ['charter_version.id'], name=op.f('fk_parcours_import_charter_version_id_charter_version'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['app_user.id'], name=op.f('fk_parcours_import_uploaded_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parcours_import'))
    )
    with op.batch_alter_table('parcours_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parcours_import_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_parcours_import_uploaded_by_id'), ['uploaded_by_id'], unique=False)

    op.create_table('quality_mark',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mission_locale_id', sa.Integer(), nullable=False),
    sa.Column('rule_code', sa.String(length=10), nullable=False),
    sa.Column('record_key', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('marked_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('acquitte', 'exception')", name=op.f('ck_quality_mark_kind_known')),
    sa.ForeignKeyConstraint(['marked_by_id'], ['app_user.id'], name=op.f('fk_quality_mark_marked_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['mission_locale_id'], ['mission_locale.id'], name=op.f('fk_quality_mark_mission_locale_id_mission_locale'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_mark')),
    sa.UniqueConstraint('mission_locale_id', 'rule_code', 'record_key', name='uq_quality_mark_record')
    )
    op.create_table('parcours_extract',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('mission_locale_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('charter_version_id', sa.Integer(), nullable=True),
    sa.Column('jeunes', sa.Integer(), nullable=False),
    sa.Column('evenements', sa.Integer(), nullable=False),
    sa.Column('situations', sa.Integer(), nullable=False),
    sa.Column('dispositifs', sa.Integer(), nullable=False),
    sa.Column('jeunes_in_error', sa.Integer(), nullable=False),
    sa.Column('jeunes_in_error_raw', sa.Integer(), nullable=False),
    sa.Column('score', sa.Numeric(precision=7, scale=6), nullable=True),
    sa.Column('score_raw', sa.Numeric(precision=7, scale=6), nullable=True),
    sa.CheckConstraint("status IN ('staged', 'current', 'replaced', 'failed')", name=op.f('ck_parcours_extract_status_known')),
    sa.ForeignKeyConstraint(['charter_version_id'], ['charter_version.id'], name=op.f('fk_parcours_extract_charter_version_id_charter_version'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['import_id'], ['parcours_import.id'], name=op.f('fk_parcours_extract_import_id_parcours_import'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mission_locale_id'], ['mission_locale.id'], name=op.f('fk_parcours_extract_mission_locale_id_mission_locale'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parcours_extract'))
    )
    with op.batch_alter_table('parcours_extract', schema=None) as batch_op:
        batch_op.create_index('uq_parcours_extract_current', ['mission_locale_id', 'period_start', 'period_end'], unique=True, sqlite_where=sa.text("status = 'current'"), postgresql_where=sa.text("status = 'current'"))
        batch_op.create_index(batch_op.f('ix_parcours_extract_import_id'), ['import_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_parcours_extract_mission_locale_id'), ['mission_locale_id'], unique=False)
        batch_op.create_index('ix_parcours_extract_ml_period', ['mission_locale_id', 'period_start', 'period_end'], unique=False)
        batch_op.create_index(batch_op.f('ix_parcours_extract_status'), ['status'], unique=False)

    op.create_table('quality_rule_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('extract_id', sa.Integer(), nullable=False),
    sa.Column('rule_code', sa.String(length=10), nullable=False),
    sa.Column('severity', sa.String(length=14), nullable=False),
    sa.Column('findings', sa.Integer(), nullable=False),
    sa.Column('marked', sa.Integer(), nullable=False),
    sa.Column('jeunes', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['extract_id'], ['parcours_extract.id'], name=op.f('fk_quality_rule_count_extract_id_parcours_extract'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_rule_count')),
    sa.UniqueConstraint('extract_id', 'rule_code', name='uq_quality_rule_count_extract_rule')
    )
    with op.batch_alter_table('quality_rule_count', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quality_rule_count_extract_id'), ['extract_id'], unique=False)

    _install_charter_v1()


def _install_charter_v1():
    """Charter version 1 (Q01–Q17) as data, so the charter page is never empty."""
    from datetime import UTC, datetime

    from models.parcours.charter import VERSION_1

    now = datetime.now(UTC)
    version = sa.table("charter_version", sa.column("id", sa.Integer), sa.column("number", sa.Integer),
                       sa.column("label", sa.String), sa.column("effective_from", sa.Date),
                       sa.column("notes", sa.Text), sa.column("created_at", sa.DateTime(timezone=True)),
                       sa.column("updated_at", sa.DateTime(timezone=True)))
    rule = sa.table("charter_rule", sa.column("version_id", sa.Integer), sa.column("code", sa.String),
                    sa.column("kind", sa.String), sa.column("severity", sa.String),
                    sa.column("dimension", sa.String), sa.column("title", sa.String),
                    sa.column("description", sa.Text), sa.column("params", sa.JSON))
    conn = op.get_bind()
    version_id = conn.execute(version.insert().values(
        number=VERSION_1["number"], label=VERSION_1["label"],
        effective_from=VERSION_1["effective_from"], notes=VERSION_1["notes"],
        created_at=now, updated_at=now).returning(version.c.id)).scalar_one()
    op.bulk_insert(rule, [{**r, "version_id": version_id} for r in VERSION_1["rules"]])


def downgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('quality_rule_count', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quality_rule_count_extract_id'))

    op.drop_table('quality_rule_count')
    with op.batch_alter_table('parcours_extract', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parcours_extract_status'))
        batch_op.drop_index('uq_parcours_extract_current')
        batch_op.drop_index('ix_parcours_extract_ml_period')
        batch_op.drop_index(batch_op.f('ix_parcours_extract_mission_locale_id'))
        batch_op.drop_index(batch_op.f('ix_parcours_extract_import_id'))

    op.drop_table('parcours_extract')
    op.drop_table('quality_mark')
    with op.batch_alter_table('parcours_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parcours_import_uploaded_by_id'))
        batch_op.drop_index(batch_op.f('ix_parcours_import_status'))

    op.drop_table('parcours_import')
    op.drop_table('quality_settings')
    with op.batch_alter_table('charter_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_charter_rule_version_id'))

    op.drop_table('charter_rule')
    with op.batch_alter_table('quality_finding', schema=None) as batch_op:
        batch_op.drop_index('ix_quality_finding_extract_rule')

    op.drop_table('quality_finding')
    with op.batch_alter_table('pq_situation', schema=None) as batch_op:
        batch_op.drop_index('ix_pq_situation_extract_id_jeune')

    op.drop_table('pq_situation')
    with op.batch_alter_table('pq_jeune', schema=None) as batch_op:
        batch_op.drop_index('ix_pq_jeune_pseudo')
        batch_op.drop_index('ix_pq_jeune_extract_id_jeune')

    op.drop_table('pq_jeune')
    with op.batch_alter_table('pq_evenement', schema=None) as batch_op:
        batch_op.drop_index('ix_pq_evenement_extract_id')

    op.drop_table('pq_evenement')
    with op.batch_alter_table('pq_dispositif', schema=None) as batch_op:
        batch_op.drop_index('ix_pq_dispositif_extract_id_jeune')

    op.drop_table('pq_dispositif')
    with op.batch_alter_table('pq_activite', schema=None) as batch_op:
        batch_op.drop_index('ix_pq_activite_extract_id_jeune')

    op.drop_table('pq_activite')
    op.drop_table('charter_version')
    # ### end Alembic commands ###
