-- Every registry file loaded, in the order of contract §2.1, which depends on the files
-- alone, never on when they were loaded: by effective date (`Ngày hiệu lực`, else the
-- export date; a file with neither counts as effective from the start), then path order
-- (the later path wins a tie). Content since replaced at the same path comes before the
-- content now there; the content hash settles anything left.
with registry_rows as (
    select * from {{ ref('stg_landing__schools') }}
),

registry_files as (
    select
        load_seq,
        source_file,
        file_sha256,
        effective_on,
        effective_basis,
        count(*) as n_schools
    from registry_rows
    group by load_seq, source_file, file_sha256, effective_on, effective_basis
),

with_replacement as (
    -- the load order says only which content is at a path now: a rebuild sees that one
    select
        *,
        {{ is_replaced_at_path() }} as is_replaced
    from registry_files
),

ordered as (
    select
        *,
        row_number() over (order by {{ file_order('effective_on', undated='first') }})
            as registry_order
    from with_replacement
),

final as (
    select
        load_seq,
        source_file,
        file_sha256,
        effective_on,
        effective_basis,
        n_schools,
        is_replaced,
        registry_order,
        registry_order = max(registry_order) over () as is_current
    from ordered
)

select * from final
