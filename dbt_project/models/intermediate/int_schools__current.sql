-- The registry as it stands: the rows of the newest registry (int_schools__registries'
-- order: effective date, then path order), whatever order the files were loaded in.
with registries as (
    select * from {{ ref('int_schools__registries') }}
),

registry_rows as (
    select * from {{ ref('stg_landing__schools') }}
),

current_registry as (
    select load_seq, effective_on
    from registries
    where is_current
),

current_rows as (
    select
        {{ school_registry_columns('r') }},
        r.source_file,
        r.source_row,
        c.effective_on
    from registry_rows as r
    inner join current_registry as c on c.load_seq = r.load_seq
)

select * from current_rows
