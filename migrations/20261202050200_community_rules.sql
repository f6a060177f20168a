-- A community's rules, shown beside its description and federated after it in the Group's
-- summary (as Lemmy shows a sidebar).
alter table community
    add column rules text not null default '',
    add column rules_html text not null default '';
