// The templates pages: list, write, change and remove a writer's templates (a new entry starts from one).
import { type Request, type Response, Router } from 'express';
import { signInState } from '../auth/middleware.js';
import type { AppContext } from '../context.js';
import { AppError } from '../http/errors.js';
import { takeFlash } from '../http/flash.js';
import { textFields } from '../http/forms.js';
import { BODY_MAX_CHARS, TITLE_MAX_CHARS } from './entries.js';
import {
  checkTemplate,
  createTemplate,
  deleteTemplate,
  findTemplate,
  listTemplates,
  MAX_TEMPLATES,
  TEMPLATE_NAME_MAX_CHARS,
  type Template,
  type TemplateInput,
  updateTemplate,
} from './templates.js';

export const NO_TEMPLATE = 'There is no such template among yours.';
const FIELDS = ['name', 'title', 'body', 'tags'] as const;
type TemplateForm = Record<(typeof FIELDS)[number], string>;

/** Mounted behind requirePageAuth and loadTimeZone on /journal, before /journal/:id. */
export function templateRoutes(ctx: AppContext): Router {
  const router = Router();
  const { db } = ctx;
  const userOf = (res: Response) => signInState(res).userId;
  const at = () => new Date(ctx.now());

  const renderForm = (res: Response, form: TemplateForm & { id?: string }, status = 200, errors: Record<string, string> = {}) =>
    res.status(status).render('journal/template-form', {
      title: form.id ? 'Change template' : 'New template',
      form,
      errors,
      limits: { name: TEMPLATE_NAME_MAX_CHARS, title: TITLE_MAX_CHARS, body: BODY_MAX_CHARS },
    });

  async function ownTemplate(res: Response, id: string | undefined): Promise<Template> {
    const template = id ? await findTemplate(db, userOf(res), id) : undefined;
    if (!template) throw new AppError(404, 'not_found', NO_TEMPLATE);
    return template;
  }

  /** Saves the posted form with `save`, or shows it again (400) with a message beside each wrong field. */
  async function saveForm(req: Request, res: Response, id: string | undefined, save: (template: TemplateInput) => Promise<void>) {
    const form = textFields(req.body, FIELDS);
    const checked = checkTemplate(form);
    if (checked.kind === 'invalid') return renderForm(res, { ...form, id }, 400, checked.errors);
    await save(checked.template);
    req.flash('info', `Saved the template “${form.name.trim()}”.`);
    res.redirect(303, '/journal/templates');
  }

  router.get('/journal/templates', async (req, res) => {
    const templates = await listTemplates(db, userOf(res));
    res.render('journal/templates', { title: 'Templates', templates, max: MAX_TEMPLATES, messages: takeFlash(req) });
  });

  router.get('/journal/templates/new', (_req, res) => renderForm(res, { name: '', title: '', body: '', tags: '' }));

  router.post('/journal/templates', (req, res) =>
    saveForm(req, res, undefined, async (input) => {
      const made = await createTemplate(db, userOf(res), input, at());
      if (!made) throw new AppError(409, 'too_many_templates', `You can keep up to ${MAX_TEMPLATES} templates; remove one first.`);
    }),
  );

  router.get('/journal/templates/:id/edit', async (req, res) => {
    const template = await ownTemplate(res, req.params.id);
    renderForm(res, { ...template, tags: template.tags.join(' ') });
  });

  router.post('/journal/templates/:id', async (req, res) => {
    const template = await ownTemplate(res, req.params.id);
    await saveForm(req, res, template.id, async (input) => {
      if (!(await updateTemplate(db, userOf(res), template.id, input, at()))) throw new AppError(404, 'not_found', NO_TEMPLATE);
    });
  });

  router.get('/journal/templates/:id/delete', async (req, res) => {
    res.render('journal/template-delete', { title: 'Remove template', template: await ownTemplate(res, req.params.id) });
  });

  router.post('/journal/templates/:id/delete', async (req, res) => {
    const template = await ownTemplate(res, req.params.id);
    if (!(await deleteTemplate(db, userOf(res), template.id))) throw new AppError(404, 'not_found', NO_TEMPLATE);
    req.flash('info', `Removed the template “${template.name}”. Entries started from it are unchanged.`);
    res.redirect(303, '/journal/templates');
  });

  return router;
}
